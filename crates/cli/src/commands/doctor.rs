//! `tumbler doctor LOCK [--symptom S] [--check STEP]`: guided
//! troubleshooting from what the hub knows about a lock — an ordered plan,
//! least destructive first, each step with what it costs and what it
//! fixes; `--check STEP` asks the hub whether a step the person did worked.
//! Also the warnings `tumbler lock ID factory-reset` shows first.

use clap::builder::PossibleValuesParser;
use clap::Args;
use tumbler_hub::model::{DoctorStep, Symptom};
use tumbler_hub::service::doctor::check::CheckOutcome;
use tumbler_hub::service::doctor::DoctorReport;

use super::{api, Global};
use crate::client::Api;
use crate::exit::{self, CliError};
use crate::output::emit;

fn symptoms() -> PossibleValuesParser {
    PossibleValuesParser::new(Symptom::ALL.iter().map(|s| s.as_str()))
}

fn doctor_steps() -> PossibleValuesParser {
    PossibleValuesParser::new(DoctorStep::ALL.iter().map(|s| s.as_str()))
}

/// Arguments of `tumbler doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Lock id (see `tumbler locks list`).
    id: i64,
    /// What is wrong, in the person's words.
    #[arg(long, value_parser = symptoms())]
    symptom: Option<String>,
    /// Check a step you did (the hub looks at what the lock reports now);
    /// exit 11 if it did not work yet.
    #[arg(long, value_name = "STEP", value_parser = doctor_steps())]
    check: Option<String>,
}

/// The report's query string.
fn query(symptom: Option<Symptom>, check: Option<DoctorStep>) -> String {
    let mut q = Vec::new();
    if let Some(s) = symptom {
        q.push(format!("symptom={s}"));
    }
    if let Some(c) = check {
        q.push(format!("check={c}"));
    }
    q.join("&")
}

/// Fetches the doctor's report on lock `id`.
pub async fn report(
    api: &Api,
    id: i64,
    symptom: Option<Symptom>,
    check: Option<DoctorStep>,
) -> Result<crate::client::Answer<DoctorReport>, CliError> {
    api.get(&format!("/locks/{id}/doctor?{}", query(symptom, check)))
        .await
}

/// The report as numbered steps.
pub fn render(r: &DoctorReport) -> String {
    let mut out = format!("Lock {} ({})", r.lock_id, r.lock_name);
    if let Some(s) = r.plan.symptom {
        out.push_str(&format!(" — {}", s.as_str().replace('_', " ")));
    }
    out.push('\n');
    if let Some(c) = &r.check {
        let mark = match c.outcome {
            CheckOutcome::Fixed => "fixed",
            CheckOutcome::NotYet => "not yet",
            _ => "cannot tell",
        };
        out.push_str(&format!("Check {}: {mark} — {}\n", c.step, c.message));
    }
    if r.plan.findings.is_empty() {
        out.push_str("The hub sees nothing wrong.\n");
    } else {
        out.push_str("The hub sees:\n");
        for f in &r.plan.findings {
            out.push_str(&format!("  - {f}\n"));
        }
    }
    if r.plan.steps.is_empty() {
        if r.plan.symptom.is_none() && r.check.is_none() {
            out.push_str("Name a symptom for a plan: --symptom ");
            let names: Vec<&str> = Symptom::ALL.iter().map(|s| s.as_str()).collect();
            out.push_str(&names.join(" | "));
            out.push('\n');
        }
        return out;
    }
    out.push_str("Try, in this order:\n");
    for (i, s) in r.plan.steps.iter().enumerate() {
        out.push_str(&format!("{:>2}. {} [{}]\n", i + 1, s.todo, s.step));
        out.push_str(&format!("    why:   {}\n", s.why));
        out.push_str(&format!("    fixes: {}\n", s.fixes));
        out.push_str(&format!("    costs: {}\n", s.costs));
        if let Some(n) = &s.not_yet {
            out.push_str(&format!("    not advised yet: {n}\n"));
        }
        if s.checkable {
            out.push_str(&format!(
                "    then: tumbler doctor {} --check {}\n",
                r.lock_id, s.step
            ));
        }
    }
    out
}

/// Runs `tumbler doctor`.
pub async fn run(g: &Global, a: DoctorArgs) -> anyhow::Result<()> {
    let api = api(g)?;
    // The parsers only let the vocabulary's own names through.
    let symptom = a.symptom.as_deref().and_then(Symptom::parse);
    let check = a.check.as_deref().and_then(DoctorStep::parse);
    let r = report(&api, a.id, symptom, check).await?;
    emit(g.json, &r, render);
    if let Some(c) = &r.body.check {
        if c.outcome != CheckOutcome::Fixed {
            return Err(
                CliError::new(exit::OP_FAILED, format!("check {}: {}", c.step, c.message)).into(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tumbler_hub::service::doctor::check::{check, factory_reset_warnings};
    use tumbler_hub::service::doctor::plan::{plan, Facts, Presence};

    #[test]
    fn the_plan_reads_as_numbered_steps() {
        let facts = Facts {
            presence: Presence::Online,
            battery_pct: Some(5),
            status_ms: Some(1_767_225_600_000),
            mode: Some("normal".into()),
            ..Facts::unknown(1_767_225_600_000)
        };
        let r = DoctorReport {
            lock_id: 1,
            lock_name: "Front door".into(),
            plan: plan(&facts, Some(Symptom::DoesNotRespond)),
            check: Some(check(DoctorStep::Batteries, &facts)),
            factory_reset_warnings: factory_reset_warnings(&facts),
            facts,
        };
        let text = render(&r);
        assert!(
            text.starts_with("Lock 1 (Front door) — does not respond\n"),
            "{text}"
        );
        assert!(
            text.contains("Check batteries: not yet — still 5 %"),
            "{text}"
        );
        assert!(text.contains("  - battery 5 %\n"), "{text}");
        assert!(text.contains(" 1. replace all four AA cells"), "{text}");
        assert!(
            text.contains(" 2. press the reset button briefly"),
            "{text}"
        );
        assert!(text.contains(" 5. hold the reset button"), "{text}");
        assert!(
            text.contains("    not advised yet: the lock refuses a factory reset below 20 %"),
            "{text}"
        );
        assert!(
            text.contains("    then: tumbler doctor 1 --check batteries"),
            "{text}"
        );
    }
}
