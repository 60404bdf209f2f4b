//! GraphQL face of bank transfers: thin resolvers over [`super::service`].
//!
//! Roles: AGENT and above read transfers (an AGENT sees those of their
//! customers plus every PENDING / UNLINKED one), link and resolve them;
//! unlinking takes money back out of a wallet, like an adjustment, so it
//! needs MANAGER.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, ResultExt, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::OnceCell;

use super::model::{Direction, MatchMethod, TransferStatus, bank_transfer};
use super::service::{self, DayStats, TransferFilter};
use crate::auth::Role;
use crate::customers::graphql::Customer;
use crate::customers::model::customer;
use crate::error::AppError;
use crate::graphql::connection::{self, IdCursor};
use crate::graphql::guards::RoleGuard;
use crate::graphql::{app, parse_id, principal};
use crate::money::Money;
use crate::wallets::graphql::WalletTransaction;
use crate::wallets::model::transaction;

/// The customers and deposits of a page of transfers, loaded together the
/// first time a transfer of the page asks: one query each per page.
#[derive(Default)]
struct Related {
    customer_ids: Vec<i64>,
    deposit_ids: Vec<i64>,
    customers: OnceCell<HashMap<i64, customer::Model>>,
    deposits: OnceCell<HashMap<i64, transaction::Model>>,
}

/// A transfer the bank reported, and what became of it.
pub struct BankTransfer {
    pub model: bank_transfer::Model,
    related: Arc<Related>,
}

impl BankTransfer {
    /// Nodes of a page, sharing the loading of their customers and deposits.
    pub fn page(rows: Vec<bank_transfer::Model>) -> Vec<Self> {
        let related = Arc::new(Related {
            customer_ids: rows.iter().filter_map(|t| t.customer_id).collect(),
            deposit_ids: rows.iter().filter_map(|t| t.deposit_transaction_id).collect(),
            ..Default::default()
        });
        rows.into_iter().map(|model| Self { model, related: related.clone() }).collect()
    }
}

impl From<bank_transfer::Model> for BankTransfer {
    fn from(model: bank_transfer::Model) -> Self {
        Self::page(vec![model]).pop().expect("one in, one out")
    }
}

/// A transfer the bank reported (SePay webhook), and what became of it:
/// LINKED to a customer (and normally deposited into their wallet),
/// PENDING a person's choice among candidate phones, or UNLINKED.
#[Object]
impl BankTransfer {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// The bank's (SePay's) id of the transaction; unique.
    async fn provider_id(&self) -> &str {
        &self.model.provider_id
    }
    /// The bank (`Vietcombank`).
    async fn gateway(&self) -> Option<&str> {
        self.model.gateway.as_deref()
    }
    /// The shop's account the money moved on.
    async fn account_number(&self) -> Option<&str> {
        self.model.account_number.as_deref()
    }
    async fn direction(&self) -> Direction {
        self.model.direction
    }
    async fn amount(&self) -> Money {
        Money(self.model.amount)
    }
    /// What the payer wrote.
    async fn content(&self) -> &str {
        &self.model.content
    }
    /// The bank's reference (`MBVCB.3278907687`).
    async fn reference_code(&self) -> Option<&str> {
        self.model.reference_code.as_deref()
    }
    /// When the bank says it happened.
    async fn transferred_at(&self) -> DateTime<Utc> {
        self.model.transferred_at
    }
    /// When the webhook reached the server.
    async fn received_at(&self) -> DateTime<Utc> {
        self.model.received_at
    }
    async fn status(&self) -> TransferStatus {
        self.model.status
    }
    /// How a LINKED transfer found its customer.
    async fn match_method(&self) -> Option<MatchMethod> {
        self.model.match_method
    }
    /// Phones (E.164) a PENDING transfer could belong to.
    async fn candidates(&self) -> Vec<String> {
        self.model.candidate_phones()
    }
    async fn customer_id(&self) -> Option<ID> {
        self.model.customer_id.map(|id| ID(id.to_string()))
    }
    /// The customer it is linked to.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let Some(id) = self.model.customer_id else { return Ok(None) };
        let ids = &self.related.customer_ids;
        let all = self
            .related
            .customers
            .get_or_try_init(|| async {
                let rows = crate::customers::service::by_ids(app(ctx).db.conn(), ids).await?;
                Ok::<_, AppError>(rows.into_iter().map(|c| (c.id, c)).collect())
            })
            .await
            .extend()?;
        Ok(all.get(&id).cloned().map(Customer))
    }
    /// The wallet deposit of its amount, when one was made.
    async fn deposit_transaction(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WalletTransaction>> {
        let Some(id) = self.model.deposit_transaction_id else { return Ok(None) };
        let ids = &self.related.deposit_ids;
        let all = self
            .related
            .deposits
            .get_or_try_init(|| async {
                let rows = crate::wallets::service::transactions_by_ids(app(ctx).db.conn(), ids).await?;
                Ok::<_, AppError>(rows.into_iter().map(|t| (t.id, t)).collect())
            })
            .await
            .extend()?;
        Ok(all.get(&id).cloned().map(WalletTransaction))
    }
    /// `user:1`, `apikey:3`, or `system` when matched on arrival.
    async fn linked_by(&self) -> Option<&str> {
        self.model.linked_by.as_deref()
    }
    async fn linked_at(&self) -> Option<DateTime<Utc>> {
        self.model.linked_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }
}

crate::graphql::connection::connection!(BankTransferConnection, BankTransferEdge, BankTransfer);

/// Narrows a list of bank transfers.
#[derive(InputObject, Default)]
pub struct BankTransferFilter {
    pub statuses: Option<Vec<TransferStatus>>,
    pub customer_id: Option<ID>,
    /// Transferred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Transferred before.
    pub to: Option<DateTime<Utc>>,
    /// Part of the content or of the bank's reference, any case.
    pub search: Option<String>,
}

/// Incoming transfers made on one business-local day, by their status now.
#[derive(SimpleObject)]
pub struct BankTransferDayStats {
    pub date: NaiveDate,
    pub linked_count: i64,
    pub linked_amount: Money,
    pub pending_count: i64,
    pub pending_amount: Money,
    pub unlinked_count: i64,
    pub unlinked_amount: Money,
}

impl From<DayStats> for BankTransferDayStats {
    fn from(s: DayStats) -> Self {
        Self {
            date: s.date,
            linked_count: s.linked_count,
            linked_amount: Money(s.linked_amount),
            pending_count: s.pending_count,
            pending_amount: Money(s.pending_amount),
            unlinked_count: s.unlinked_count,
            unlinked_amount: Money(s.unlinked_amount),
        }
    }
}

#[derive(Default)]
pub struct BankQuery;

#[Object]
impl BankQuery {
    /// Bank transfers, newest first. An AGENT sees the transfers of their
    /// customers and every PENDING or UNLINKED one.
    #[graphql(
        guard = "RoleGuard::at_least(Role::Agent)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn bank_transfers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<BankTransferFilter>,
    ) -> async_graphql::Result<BankTransferConnection> {
        let app = app(ctx).clone();
        let actor = principal(ctx)?.clone();
        let first = connection::page_size(first).extend()?;
        let after: Option<IdCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let f = filter.unwrap_or_default();
        let filter = TransferFilter {
            statuses: f.statuses.unwrap_or_default(),
            customer_id: f.customer_id.as_ref().map(|id| parse_id(id, "filter.customerId")).transpose()?,
            from: f.from,
            to: f.to,
            search: f.search,
        };
        let (rows, more) = service::list(&app, &actor, &filter, first, after.map(|c| c.id)).await.extend()?;
        let cursors: Vec<String> = rows.iter().map(|t| connection::encode_cursor(&IdCursor { id: t.id })).collect();
        let items = cursors.into_iter().zip(BankTransfer::page(rows)).collect();
        let counter: connection::Counter = Arc::new(move || {
            let (app, actor, filter) = (app.clone(), actor.clone(), filter.clone());
            Box::pin(async move { service::count(&app, &actor, &filter).await })
        });
        Ok(BankTransferConnection::new(items, more, after.is_some(), counter))
    }

    /// A bank transfer by id.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn bank_transfer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<BankTransfer> {
        let id = parse_id(&id, "id")?;
        Ok(service::get(app(ctx), principal(ctx)?, id).await.extend()?.into())
    }

    /// Per business-local day from `from` to `to` (both included, at most
    /// 366 days): count and sum of incoming transfers made that day that
    /// are LINKED, PENDING and UNLINKED now.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn bank_transfer_stats(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<Vec<BankTransferDayStats>> {
        let days = service::stats(app(ctx), principal(ctx)?, from, to).await.extend()?;
        Ok(days.into_iter().map(BankTransferDayStats::from).collect())
    }
}

#[derive(Default)]
pub struct BankMutation;

#[Object]
impl BankMutation {
    /// Links a PENDING or UNLINKED incoming transfer to the customer with
    /// this phone (written any way; the customer is created when new) and,
    /// unless `autoDeposit` is false, deposits its amount into their wallet
    /// in the same transaction. `CONFLICT` when it is already linked.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn link_bank_transfer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        phone: String,
        #[graphql(default_with = "Some(true)")] auto_deposit: Option<bool>,
    ) -> async_graphql::Result<BankTransfer> {
        let id = parse_id(&id, "id")?;
        // `null` means the same as leaving it out.
        let auto_deposit = auto_deposit.unwrap_or(true);
        Ok(service::link(app(ctx), principal(ctx)?, id, &phone, auto_deposit).await.extend()?.into())
    }

    /// Settles a PENDING (or UNLINKED) transfer: links it to the chosen
    /// customer and deposits its amount. `CONFLICT` when already linked.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn resolve_pending_transfer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        customer_id: ID,
    ) -> async_graphql::Result<BankTransfer> {
        let id = parse_id(&id, "id")?;
        let customer_id = parse_id(&customer_id, "customerId")?;
        Ok(service::resolve(app(ctx), principal(ctx)?, id, customer_id).await.extend()?.into())
    }

    /// Takes a LINKED transfer back from its customer (it becomes
    /// UNLINKED), reversing its deposit. `INSUFFICIENT_FUNDS` (nothing
    /// changed) when the customer has already spent the money;
    /// `INVALID_TRANSITION` when it is not linked.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn unlink_bank_transfer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<BankTransfer> {
        let id = parse_id(&id, "id")?;
        match service::unlink(app(ctx), principal(ctx)?, id, &reason).await {
            Ok(t) => Ok(t.into()),
            Err(AppError::InsufficientFunds { available }) => Err(async_graphql::Error::new(format!(
                "cannot unlink: the customer has already spent this money \
                 (the real balance holds only {available}); nothing was changed"
            ))
            .extend_with(|_, e| {
                e.set("code", "INSUFFICIENT_FUNDS");
                e.set("available", available.as_str());
            })),
            Err(e) => Err(e.extend()),
        }
    }
}
