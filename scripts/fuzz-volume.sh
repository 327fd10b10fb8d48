#!/usr/bin/env bash
# Fuzzing volume for docs/benchmarks.md: 1,000,000 random or mutated inputs (or
# the count given) into each of the wire decoder, envelope opening, flash-image
# mount and keypad/console parser (crates/fuzz), release build, one seed.
# Outside CI's time budget; CI runs the ~1 s smoke test (`cargo test -p tumbler-fuzz`).
# On a panic it prints the target, seed, index and input (hex), leaves the docs
# alone and exits 1. Otherwise it rewrites the "## Fuzzing volume" section of
# docs/benchmarks.md (the sections around it are kept) with the table, the
# exact command, date, machine and per-target outcome counts.
# Usage: scripts/fuzz-volume.sh [count] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-1000000}
SEED=${2:-1}
cargo build --release -p tumbler-fuzz
CMD="target/release/tumbler-fuzz --seed $SEED --count $COUNT --markdown --outcomes"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
# The run's own stderr (progress, and any panic report) goes to the terminal.
$CMD > "$OUT"

DOC=docs/benchmarks.md
# Keep everything before and after the section, and write it afresh.
awk '/^## Fuzzing volume/{exit} {print}' "$DOC" > "$DOC.new"
awk 'f && /^## /{p=1} /^## Fuzzing volume/{f=1} p{print}' "$DOC" > "$DOC.after"
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//' || echo unknown)
{
  echo "## Fuzzing volume"
  echo
  echo "Written by \`scripts/fuzz-volume.sh $COUNT $SEED\` (it ran \`$CMD\`)"
  echo "on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $(rustc --version | cut -d' ' -f1-2),"
  echo "$(nproc) cores ($CPU), shared with other builds: rates are indicative."
  echo "Every input ran under \`catch_unwind\`; inputs are rebuilt from (seed, target,"
  echo "index), so any one replays with \`--index N\`. Mutated inputs start from genuine"
  echo "ones made by the real encoders (every message, envelopes sealed both ways,"
  echo "factory-signed frames, a provisioned and a claimed lock image, keypad"
  echo "sequences and console lines); the rest are random bytes."
  echo
  echo "- **wire**: \`Down\`, \`Up\` and \`ClaimMessage\` decode, envelope header parse, frame kind."
  echo "- **envelope**: opened by the paired lock and the paired hub (right keys, fresh"
  echo "  replay windows, so a genuine frame opens); signed plain frames (reset record,"
  echo "  self-check, statement) decoded and verified with the factory key."
  echo "- **image**: the device's mount (recovering an unreadable state), factory data,"
  echo "  state read and lock restore; one input in 8 also boots a whole simulated lock."
  echo "  Damage is sector-level (pages erased, zeroed, randomised, copied, half-erased,"
  echo "  torn writes) and bit flips; some images are random or the wrong size."
  echo "- **keypad**: the console parser, the simulated keypad, and the lock's keypad"
  echo "  state machine (PIN entry, admin menu, program button, keypad reset, lockout)"
  echo "  on a claimed lock restored from the genuine image for every input."
  echo
  sed -n '/^| target/,/^$/p' "$OUT" | sed '/^$/d'
  echo
  echo "Found by it so far, both fixed: a damaged image whose every flash write failed made"
  echo "the simulated lock reboot from inside its own boot without end, a stack overflow that"
  echo "aborts the process (a fleet loses every lock); it now gives up after three nested"
  echo "boots and stays off (device \`BOOT_LOOP_LIMIT\`, fuzz test \`image_boot_loop_regression\`)."
  echo "And an envelope longer than"
  echo "\`MAX_ENVELOPE_LEN\` was refused as \`OpenError::Decode(TooLong)\` before its tag was"
  echo "checked, the error that means \"authentic, counter advanced\"; it is now \`TooLong\`"
  echo "(proto \`envelope::oversized_envelope_is_too_long_not_authentic_but_undecodable\`)."
  echo "Seen, not a panic (issue 13, finding 8): a damaged image can restore a claimed lock"
  echo "with a user record silently gone (\`claimed users:1\` below)."
  echo
  echo "Distinct outcomes are the labels a target gives each input (which decoder"
  echo "accepted it, which check refused it, where a boot ended); their counts:"
  echo
  echo "<details><summary>outcomes per target</summary>"
  echo
  echo '```text'
  sed -n '/outcomes (inputs per outcome):/,$p' "$OUT"
  echo '```'
  echo
  echo "</details>"
  echo
} >> "$DOC.new"
cat "$DOC.after" >> "$DOC.new"
rm -f "$DOC.after"
mv "$DOC.new" "$DOC"
cat "$OUT" | sed -n '/^| target/,/^$/p'
