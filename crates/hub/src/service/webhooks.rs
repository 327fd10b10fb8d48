//! Webhook endpoints of an organisation: add (the signing secret is made
//! here and shown once), list, enable or disable, remove; the delivery log
//! and manual redelivery. Owners and managers only: an endpoint receives
//! every lock event of the organisation.

use zeroize::Zeroizing;

use super::{invalid, refused, Principal, Service, ServiceError, ADMINS};
use crate::hooks::{sign, target, HookEvent, EVERY_EVENT};
use crate::store::webhooks::{Attempt, Delivery, Webhook};

/// Endpoints one organisation may have.
pub const MAX_WEBHOOKS: usize = 20;

/// Deliveries listed at most at once.
pub const MAX_DELIVERIES: i64 = 500;

/// An endpoint just added, with its secret (shown this once).
#[derive(Debug)]
pub struct NewWebhook {
    /// The endpoint.
    pub webhook: Webhook,
    /// `whsec_…`: the key receivers verify signatures with.
    pub secret: Zeroizing<String>,
}

/// Checks event names: known ones or `*`, at least one, no repeats kept.
pub fn check_events(events: &[String]) -> Result<Vec<String>, ServiceError> {
    if events.is_empty() || events.len() > 32 {
        return Err(invalid("events", "1..=32 event names, or \"*\" for all"));
    }
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let e = e.trim();
        if e != EVERY_EVENT && HookEvent::parse(e).is_none() {
            let known: Vec<&str> = HookEvent::ALL.iter().map(|e| e.as_str()).collect();
            return Err(refused(
                "events",
                format!("unknown event {e:?} (known: {}, or *)", known.join(", ")),
            ));
        }
        out.push(e.to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

impl Service {
    /// Adds an endpoint for `events`; the answer holds the secret once.
    pub async fn create_webhook(
        &self,
        p: &Principal,
        url: &str,
        events: &[String],
    ) -> Result<NewWebhook, ServiceError> {
        self.require(p, ADMINS)?;
        // Any string fits the API's schema: a URL refused on its meaning is a 422.
        let url = target::check_url(url.trim()).map_err(|e| refused("url", e.to_string()))?;
        let events = check_events(events)?;
        if self.store.list_webhooks(p.org_id).await?.len() >= MAX_WEBHOOKS {
            return Err(refused(
                "url",
                format!("an organisation has at most {MAX_WEBHOOKS} webhook endpoints"),
            ));
        }
        let mut key = Zeroizing::new([0u8; sign::KEY_LEN]);
        crate::secrets::random_bytes(&mut key[..])?;
        let webhook = self
            .store
            .create_webhook(
                p.org_id,
                url.as_str(),
                &events,
                &key[..],
                Some(p.account_id),
                self.now_ms(),
            )
            .await?;
        Ok(NewWebhook {
            webhook,
            secret: Zeroizing::new(sign::show(&key[..])),
        })
    }

    /// The organisation's endpoints.
    pub async fn list_webhooks(&self, p: &Principal) -> Result<Vec<Webhook>, ServiceError> {
        self.require(p, ADMINS)?;
        Ok(self.store.list_webhooks(p.org_id).await?)
    }

    /// One endpoint.
    pub async fn get_webhook(&self, p: &Principal, id: i64) -> Result<Webhook, ServiceError> {
        self.require(p, ADMINS)?;
        self.store
            .get_webhook(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "webhook",
                id,
            })
    }

    /// Enables (its failure run forgotten) or disables an endpoint.
    pub async fn set_webhook_enabled(
        &self,
        p: &Principal,
        id: i64,
        enabled: bool,
    ) -> Result<Webhook, ServiceError> {
        self.get_webhook(p, id).await?;
        let reason = (!enabled).then_some("disabled by a person");
        self.store
            .set_webhook_enabled(p.org_id, id, enabled, reason)
            .await?;
        self.get_webhook(p, id).await
    }

    /// Removes an endpoint, its queue and its log.
    pub async fn delete_webhook(&self, p: &Principal, id: i64) -> Result<(), ServiceError> {
        self.require(p, ADMINS)?;
        if self.store.delete_webhook(p.org_id, id).await? {
            Ok(())
        } else {
            Err(ServiceError::Missing {
                what: "webhook",
                id,
            })
        }
    }

    /// Deliveries, newest first (of one endpoint if given).
    pub async fn list_deliveries(
        &self,
        p: &Principal,
        webhook_id: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<Delivery>, ServiceError> {
        self.require(p, ADMINS)?;
        if let Some(id) = webhook_id {
            self.get_webhook(p, id).await?;
        }
        let limit = limit.unwrap_or(100);
        if !(1..=MAX_DELIVERIES).contains(&limit) {
            return Err(invalid("limit", format!("1..={MAX_DELIVERIES}")));
        }
        Ok(self
            .store
            .list_deliveries(p.org_id, webhook_id, limit)
            .await?)
    }

    /// One delivery and its attempts.
    pub async fn get_delivery(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<(Delivery, Vec<Attempt>), ServiceError> {
        self.require(p, ADMINS)?;
        self.store
            .get_delivery(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "delivery",
                id,
            })
    }

    /// Sends a delivery again (a new delivery at the back of its lane, same
    /// `webhook-id`), whatever became of it.
    pub async fn redeliver(&self, p: &Principal, id: i64) -> Result<Delivery, ServiceError> {
        self.require(p, ADMINS)?;
        self.store
            .redeliver(p.org_id, id, self.now_ms())
            .await?
            .ok_or(ServiceError::Missing {
                what: "delivery",
                id,
            })
    }
}
