//! `tumbler webhooks add|list|enable|disable|remove|deliveries|delivery|redeliver`:
//! the organisation's webhook endpoints and their delivery log.

use clap::Subcommand;
use tumbler_hub::api::webhooks::{CreateBody, CreatedWebhook, DeliveryLog, UpdateBody};
use tumbler_hub::store::webhooks::{Attempt, Delivery, Webhook};

use super::{api, confirm, Global};
use crate::client::query;
use crate::output::{emit, opt, opt_time, table, time, yes_no, Column};

/// Webhook commands.
#[derive(Debug, Subcommand)]
pub enum WebhooksCmd {
    /// List endpoints.
    List,
    /// Add an endpoint; prints its signing secret once.
    Add {
        /// `https://…` (a private address only if the hub allows it). Not
        /// named `url`: that is the global `--url` of the hub.
        #[arg(value_name = "URL")]
        endpoint: String,
        /// Event names (repeat or comma-separate): lock.unlocked, lock.locked,
        /// lock.offline, lock.battery_low, lock.reset_detected, … or `*`.
        #[arg(long = "event", short = 'e', value_delimiter = ',', required = true)]
        events: Vec<String>,
    },
    /// Enable an endpoint again (its failure count is forgotten).
    Enable {
        /// Endpoint id.
        id: i64,
    },
    /// Disable an endpoint (deliveries wait until it is enabled).
    Disable {
        /// Endpoint id.
        id: i64,
    },
    /// Remove an endpoint with its queue and log.
    #[command(alias = "delete")]
    Remove {
        /// Endpoint id.
        id: i64,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Deliveries, newest first.
    Deliveries {
        /// Only this endpoint's.
        #[arg(long)]
        webhook: Option<i64>,
        /// At most this many (1..=500).
        #[arg(long)]
        limit: Option<i64>,
    },
    /// One delivery and every attempt.
    Delivery {
        /// Delivery id.
        id: i64,
    },
    /// Send a delivery again (same webhook-id).
    Redeliver {
        /// Delivery id.
        id: i64,
    },
}

const HOOKS: &[Column<Webhook>] = &[
    ("ID", |w| w.id.to_string()),
    ("URL", |w| w.url.clone()),
    ("EVENTS", |w| w.events.join(",")),
    ("ENABLED", |w| yes_no(w.enabled)),
    ("FAILURES", |w| w.consecutive_failures.to_string()),
    ("DISABLED BECAUSE", |w| opt(&w.disabled_reason)),
    ("CREATED", |w| time(w.created_at)),
];

const DELIVERIES: &[Column<Delivery>] = &[
    ("ID", |d| d.id.to_string()),
    ("WEBHOOK", |d| d.webhook_id.to_string()),
    ("EVENT", |d| d.event.clone()),
    ("STATE", |d| d.state.clone()),
    ("ATTEMPTS", |d| d.attempts.to_string()),
    ("LAST STATUS", |d| opt(&d.last_status)),
    ("LAST ERROR", |d| opt(&d.last_error)),
    ("NEXT", |d| {
        if d.state == "pending" {
            time(d.next_at)
        } else {
            String::new()
        }
    }),
    ("ENDED", |d| opt_time(d.ended_at)),
];

const ATTEMPTS: &[Column<Attempt>] = &[
    ("AT", |a| time(a.at)),
    ("STATUS", |a| opt(&a.status)),
    ("ERROR", |a| opt(&a.error)),
    ("MS", |a| a.latency_ms.to_string()),
];

/// Runs a webhook command.
pub async fn run(g: &Global, c: WebhooksCmd) -> anyhow::Result<()> {
    let api = api(g)?;
    match c {
        WebhooksCmd::List => {
            let v = api.get::<Vec<Webhook>>("/webhooks").await?;
            emit(g.json, &v, |v| table(v, HOOKS));
        }
        WebhooksCmd::Add { endpoint, events } => {
            let v = api
                .post::<CreatedWebhook, _>(
                    "/webhooks",
                    &CreateBody {
                        url: endpoint,
                        events,
                    },
                )
                .await?;
            emit(g.json, &v, |c| {
                format!(
                    "Webhook {} → {} ({})\nSigning secret (shown once; verify webhook-signature with it):\n{}\n",
                    c.webhook.id,
                    c.webhook.url,
                    c.webhook.events.join(","),
                    c.secret
                )
            });
        }
        WebhooksCmd::Enable { id } | WebhooksCmd::Disable { id } => {
            let enabled = matches!(c, WebhooksCmd::Enable { .. });
            let v = api
                .patch::<Webhook, _>(&format!("/webhooks/{id}"), &UpdateBody { enabled })
                .await?;
            emit(g.json, &v, |w| table(std::slice::from_ref(w), HOOKS));
        }
        WebhooksCmd::Remove { id, yes } => {
            confirm(&format!("Remove webhook {id} with its queue and log?"), yes)?;
            api.delete(&format!("/webhooks/{id}")).await?;
            if !g.json {
                println!("Removed webhook {id}.");
            }
        }
        WebhooksCmd::Deliveries { webhook, limit } => {
            let q = query(&[
                ("webhook_id", webhook.map(|w| w.to_string())),
                ("limit", limit.map(|l| l.to_string())),
            ]);
            let v = api
                .get::<Vec<Delivery>>(&format!("/webhook-deliveries{q}"))
                .await?;
            emit(g.json, &v, |v| table(v, DELIVERIES));
        }
        WebhooksCmd::Delivery { id } => {
            let v = api
                .get::<DeliveryLog>(&format!("/webhook-deliveries/{id}"))
                .await?;
            emit(g.json, &v, |l| {
                format!(
                    "{}\n{}",
                    table(std::slice::from_ref(&l.delivery), DELIVERIES),
                    table(&l.attempts, ATTEMPTS)
                )
            });
        }
        WebhooksCmd::Redeliver { id } => {
            let v = api
                .post_empty::<Delivery>(&format!("/webhook-deliveries/{id}/redeliver"))
                .await?;
            emit(g.json, &v, |d| {
                format!(
                    "Queued delivery {} (again {} as {}).\n",
                    d.id, d.event, d.msg_id
                )
            });
        }
    }
    Ok(())
}
