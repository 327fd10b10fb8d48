//! `tumbler login` and `tumbler logout`.

use std::io::BufRead;

use anyhow::Context;
use clap::Args;
use tumbler_hub::api::session::{LoginAnswer, LoginBody, PasswordBody};

use super::Global;
use crate::client::Api;
use crate::config;

/// Arguments of `tumbler login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Login e-mail (asked for if missing).
    #[arg(long)]
    email: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
}

fn read_line(prompt: &str) -> anyhow::Result<String> {
    use std::io::Write;
    print!("{prompt}");
    std::io::stdout().flush()?;
    let mut s = String::new();
    std::io::stdin().lock().read_line(&mut s)?;
    Ok(s.trim().to_owned())
}

/// Logs in and saves URL and token.
pub async fn login(g: &Global, a: LoginArgs) -> anyhow::Result<()> {
    let mut cfg = config::load()?;
    if let Some(u) = &g.url {
        cfg.url = Some(u.clone());
    }
    cfg.token = None;
    let api = Api::new(&cfg, None);
    let email = match a.email {
        Some(e) => e,
        None => read_line("E-mail: ")?,
    };
    let password = if a.password_stdin {
        let mut s = String::new();
        std::io::stdin().lock().read_line(&mut s)?;
        s.trim_end_matches(['\r', '\n']).to_owned()
    } else if let Ok(p) = std::env::var("TUMBLER_PASSWORD") {
        p
    } else {
        rpassword::prompt_password("Password: ").context("reading the password")?
    };
    let res = api
        .post::<LoginAnswer, _>("/login", &LoginBody { email, password })
        .await?;
    cfg.url = Some(api.base.clone());
    cfg.token = Some(res.body.token.clone());
    config::save(&cfg)?;
    if g.json {
        // The account as the hub sent it.
        println!(
            "{}",
            serde_json::to_string_pretty(&res.json.get("account"))?
        );
    } else {
        let account = &res.body.account;
        println!(
            "Logged in to {} as {} ({}). Token saved in {}.",
            api.base,
            account.email,
            account.role,
            config::path()?.display()
        );
    }
    Ok(())
}

/// Revokes the saved token and forgets it.
pub async fn logout(g: &Global) -> anyhow::Result<()> {
    let mut cfg = config::load()?;
    let api = Api::new(&cfg, g.url.as_deref());
    if cfg.token.is_some() {
        // A token the hub no longer knows is as good as revoked.
        let _ = api.post_empty::<()>("/logout").await;
    }
    cfg.token = None;
    config::save(&cfg)?;
    println!("Logged out.");
    Ok(())
}

/// Arguments of `tumbler password`.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Read the current and the new password from the first two lines of
    /// standard input.
    #[arg(long)]
    stdin: bool,
}

/// Changes the logged-in account's password (other sessions end).
pub async fn password(g: &Global, a: PasswordArgs) -> anyhow::Result<()> {
    let api = super::api(g)?;
    let (current, new) = if a.stdin {
        let mut lines = std::io::stdin().lock().lines();
        let mut next = || -> anyhow::Result<String> {
            Ok(lines.next().context("expected two lines on stdin")??)
        };
        (next()?, next()?)
    } else {
        let current = rpassword::prompt_password("Current password: ")?;
        let new = rpassword::prompt_password("New password: ")?;
        let again = rpassword::prompt_password("New password again: ")?;
        if new != again {
            return Err(crate::exit::CliError::new(
                crate::exit::INVALID,
                "the new passwords differ",
            )
            .into());
        }
        (current, new)
    };
    api.post::<(), _>(
        "/me/password",
        &PasswordBody {
            current_password: current,
            new_password: new,
        },
    )
    .await?;
    println!("Password changed; other sessions were logged out.");
    Ok(())
}
