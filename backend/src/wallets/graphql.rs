//! GraphQL face of wallets: thin resolvers over [`super::service`].

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, ID, InputObject, Json, Object, ResultExt, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use super::model::{CreditStatus, TransactionType, WalletSource, credit, transaction, wallet};
use super::service::{self, Applied, ExpiryReport, LedgerFilter, Movement, Op};
use crate::auth::Role;
use crate::customers::graphql::Customer;
use crate::events::DomainEvent;
use crate::graphql::connection::{self, IdCursor};
use crate::graphql::guards::RoleGuard;
use crate::graphql::loaders::{gql, loaders};
use crate::graphql::{app, event_stream, parse_id, principal};
use crate::money::Money;

/// A customer's wallet: real money, virtual credits and points.
pub struct Wallet {
    pub model: wallet::Model,
}

#[Object]
impl Wallet {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn customer_id(&self) -> ID {
        ID(self.model.customer_id.to_string())
    }
    /// Money the customer paid in.
    async fn real_balance(&self) -> Money {
        Money(self.model.real_balance)
    }
    /// Sum of the active virtual credits granted by the shop.
    async fn virtual_balance(&self) -> Money {
        Money(self.model.virtual_balance)
    }
    /// Real plus virtual: what the customer can spend.
    async fn total_balance(&self) -> Money {
        Money(self.model.real_balance + self.model.virtual_balance)
    }
    /// Loyalty points.
    async fn points(&self) -> i64 {
        self.model.points
    }
    /// Everything ever deposited (less reversed deposits).
    async fn total_deposited(&self) -> Money {
        Money(self.model.total_deposited)
    }
    /// Everything ever withdrawn.
    async fn total_withdrawn(&self) -> Money {
        Money(self.model.total_withdrawn)
    }
    /// Last change.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }
    /// Virtual credits, soonest expiry first; all statuses unless given.
    async fn virtual_credits(
        &self,
        ctx: &Context<'_>,
        statuses: Option<Vec<CreditStatus>>,
    ) -> async_graphql::Result<Vec<VirtualCredit>> {
        let rows = service::credits_of(app(ctx).db.conn(), self.model.id, statuses.as_deref()).await.extend()?;
        Ok(rows.into_iter().map(VirtualCredit).collect())
    }
    /// The ledger, newest first.
    #[graphql(complexity = "connection::complexity(first, child_complexity)")]
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<WalletTransactionFilter>,
    ) -> async_graphql::Result<WalletTransactionConnection> {
        let app = app(ctx).clone();
        let first = connection::page_size(first).extend()?;
        let after: Option<IdCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let filter = filter.map(LedgerFilter::from).unwrap_or_default();
        let wallet_id = self.model.id;
        let (rows, more) =
            service::ledger(app.db.conn(), wallet_id, &filter, first, after.map(|c| c.id)).await.extend()?;
        let items = rows
            .into_iter()
            .map(|t| (connection::encode_cursor(&IdCursor { id: t.id }), WalletTransaction(t)))
            .collect();
        let counter: connection::Counter = Arc::new(move || {
            let (app, filter) = (app.clone(), filter.clone());
            Box::pin(async move { service::ledger_count(app.db.conn(), wallet_id, &filter).await })
        });
        Ok(WalletTransactionConnection::new(items, more, after.is_some(), counter))
    }
}

impl From<wallet::Model> for Wallet {
    fn from(model: wallet::Model) -> Self {
        Self { model }
    }
}

/// One immutable row of a wallet's ledger.
pub struct WalletTransaction(pub transaction::Model);

/// Part of a withdrawal paid with one virtual credit (or what expired of it).
#[derive(SimpleObject)]
pub struct CreditUse {
    pub credit_id: ID,
    pub amount: Money,
}

impl WalletTransaction {
    fn is_points(&self) -> bool {
        matches!(self.0.kind, TransactionType::PointsEarned | TransactionType::PointsRedeemed)
    }
}

#[Object]
impl WalletTransaction {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `TRX-20261121-000123`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    #[graphql(name = "type")]
    async fn kind(&self) -> TransactionType {
        self.0.kind
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.customer_id.to_string())
    }
    /// Money moved (0 for points movements).
    async fn amount(&self) -> Money {
        Money(if self.is_points() { 0 } else { self.0.amount })
    }
    /// Points moved (0 for money movements).
    async fn points(&self) -> i64 {
        if self.is_points() { self.0.amount } else { 0 }
    }
    async fn real_balance_before(&self) -> Money {
        Money(self.0.real_before)
    }
    async fn real_balance_after(&self) -> Money {
        Money(self.0.real_after)
    }
    async fn virtual_balance_before(&self) -> Money {
        Money(self.0.virtual_before)
    }
    async fn virtual_balance_after(&self) -> Money {
        Money(self.0.virtual_after)
    }
    async fn points_before(&self) -> i64 {
        self.0.points_before
    }
    async fn points_after(&self) -> i64 {
        self.0.points_after
    }
    async fn source(&self) -> Option<WalletSource> {
        self.0.source
    }
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The virtual credits this movement spent, issued or expired.
    async fn credits(&self) -> Vec<CreditUse> {
        let parts = self.0.credits.as_ref().and_then(|v| v.as_array().cloned()).unwrap_or_default();
        parts
            .iter()
            .filter_map(|p| {
                Some(CreditUse {
                    credit_id: ID(p.get("creditId")?.as_i64()?.to_string()),
                    amount: Money(p.get("amount")?.as_i64()?),
                })
            })
            .collect()
    }
    /// `user:1`, `apikey:3` or `system`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    async fn idempotency_key(&self) -> Option<&str> {
        self.0.idempotency_key.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

crate::graphql::connection::connection!(WalletTransactionConnection, WalletTransactionEdge, WalletTransaction);

/// A virtual credit granted by the shop, spendable until it expires.
pub struct VirtualCredit(pub credit::Model);

#[Object]
impl VirtualCredit {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Granted.
    async fn amount(&self) -> Money {
        Money(self.0.amount)
    }
    /// Left to spend (0 once used or expired).
    async fn remaining(&self) -> Money {
        Money(self.0.remaining)
    }
    async fn status(&self) -> CreditStatus {
        self.0.status
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn source(&self) -> WalletSource {
        self.0.source
    }
    /// The ticket or campaign that granted it.
    async fn source_reference(&self) -> Option<&str> {
        self.0.source_ref.as_deref()
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Narrows a ledger.
#[derive(InputObject, Default)]
pub struct WalletTransactionFilter {
    pub types: Option<Vec<TransactionType>>,
    pub sources: Option<Vec<WalletSource>>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

impl From<WalletTransactionFilter> for LedgerFilter {
    fn from(f: WalletTransactionFilter) -> Self {
        Self { types: f.types, sources: f.sources, from: f.from, to: f.to }
    }
}

/// The result of a wallet mutation.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct WalletMovement {
    /// True when the idempotency key had already been applied: this is the
    /// first call's ledger row and nothing changed.
    pub replayed: bool,
    #[graphql(skip)]
    pub applied: Applied,
}

#[ComplexObject]
impl WalletMovement {
    /// The ledger row written (by the first call, when replayed).
    async fn transaction(&self) -> WalletTransaction {
        WalletTransaction(self.applied.transaction.clone())
    }
    /// The wallet as it is now.
    async fn wallet(&self) -> Wallet {
        Wallet::from(self.applied.wallet.clone())
    }
}

impl From<Applied> for WalletMovement {
    fn from(applied: Applied) -> Self {
        Self { replayed: applied.replayed, applied }
    }
}

/// Money in.
#[derive(InputObject)]
pub struct DepositInput {
    pub customer_id: ID,
    pub amount: Money,
    #[graphql(default_with = "WalletSource::Manual")]
    pub source: WalletSource,
    /// What it is about (bank transaction, order, ticket).
    pub reference: Option<String>,
    pub note: Option<String>,
    /// Retrying with the same key returns the first result and changes nothing.
    pub idempotency_key: Option<String>,
}

/// Money out: virtual credits first (earliest expiry first), then real.
#[derive(InputObject)]
pub struct WithdrawInput {
    pub customer_id: ID,
    pub amount: Money,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub idempotency_key: Option<String>,
}

/// A virtual credit granted by the shop.
#[derive(InputObject)]
pub struct IssueVirtualCreditInput {
    pub customer_id: ID,
    pub amount: Money,
    pub reason: String,
    /// The ticket, campaign … it comes from.
    pub source_reference: Option<String>,
    #[graphql(default_with = "WalletSource::Manual")]
    pub source: WalletSource,
    /// Days until it expires; the configured default (15) when omitted.
    pub lifetime_days: Option<i32>,
    pub idempotency_key: Option<String>,
}

/// A correction of the real balance (MANAGER and above).
#[derive(InputObject)]
pub struct AdjustWalletInput {
    pub customer_id: ID,
    /// Signed: `"-5000"` takes money away.
    pub amount: Money,
    pub reason: String,
    pub idempotency_key: Option<String>,
}

/// Points earned or redeemed.
#[derive(InputObject)]
pub struct PointsInput {
    pub customer_id: ID,
    pub points: i64,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct WalletQuery;

#[Object]
impl WalletQuery {
    /// The wallet of a customer.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn wallet(&self, ctx: &Context<'_>, customer_id: ID) -> async_graphql::Result<Wallet> {
        let id = parse_id(&customer_id, "customerId")?;
        Ok(Wallet::from(service::of_customer(app(ctx), principal(ctx)?, id).await.extend()?))
    }
}

#[derive(Default)]
pub struct WalletMutation;

async fn run(ctx: &Context<'_>, customer_id: &ID, op: Op, extra: Extra) -> async_graphql::Result<WalletMovement> {
    let customer_id = parse_id(customer_id, "input.customerId")?;
    let movement = Movement {
        customer_id,
        op,
        reference: extra.reference,
        note: extra.note,
        idempotency_key: extra.idempotency_key,
    };
    Ok(service::apply(app(ctx), principal(ctx)?, movement).await.extend()?.into())
}

#[derive(Default)]
struct Extra {
    reference: Option<String>,
    note: Option<String>,
    idempotency_key: Option<String>,
}

#[Object]
impl WalletMutation {
    /// Money in, to the real balance.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn deposit(&self, ctx: &Context<'_>, input: DepositInput) -> async_graphql::Result<WalletMovement> {
        let op = Op::Deposit { amount: input.amount.0, source: input.source };
        let extra = Extra { reference: input.reference, note: input.note, idempotency_key: input.idempotency_key };
        run(ctx, &input.customer_id, op, extra).await
    }

    /// Money out, FIFO: virtual credits first (earliest expiry first), then
    /// the real balance. `INSUFFICIENT_FUNDS` (with `extensions.available`)
    /// when the total is short; nothing changes then.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn withdraw(&self, ctx: &Context<'_>, input: WithdrawInput) -> async_graphql::Result<WalletMovement> {
        let op = Op::Withdraw { amount: input.amount.0 };
        let extra = Extra { reference: input.reference, note: input.note, idempotency_key: input.idempotency_key };
        run(ctx, &input.customer_id, op, extra).await
    }

    /// Grants a virtual credit that expires (15 days unless told).
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn issue_virtual_credit(
        &self,
        ctx: &Context<'_>,
        input: IssueVirtualCreditInput,
    ) -> async_graphql::Result<WalletMovement> {
        let default_days = app(ctx).config.credit_lifetime_days;
        let lifetime_days = match input.lifetime_days {
            None => default_days,
            Some(d) => u32::try_from(d).unwrap_or(0),
        };
        let op = Op::IssueCredit {
            amount: input.amount.0,
            reason: input.reason,
            source: input.source,
            source_ref: input.source_reference,
            lifetime_days,
        };
        run(ctx, &input.customer_id, op, Extra { idempotency_key: input.idempotency_key, ..Default::default() }).await
    }

    /// Corrects the real balance (signed amount), with a reason.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn adjust_wallet(
        &self,
        ctx: &Context<'_>,
        input: AdjustWalletInput,
    ) -> async_graphql::Result<WalletMovement> {
        let op = Op::Adjust { delta: input.amount.0, reason: input.reason };
        run(ctx, &input.customer_id, op, Extra { idempotency_key: input.idempotency_key, ..Default::default() }).await
    }

    /// Adds loyalty points.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn earn_points(&self, ctx: &Context<'_>, input: PointsInput) -> async_graphql::Result<WalletMovement> {
        let op = Op::EarnPoints { points: input.points };
        let extra = Extra { reference: input.reference, note: input.note, idempotency_key: input.idempotency_key };
        run(ctx, &input.customer_id, op, extra).await
    }

    /// Spends loyalty points; `INSUFFICIENT_FUNDS` when there are too few.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn redeem_points(&self, ctx: &Context<'_>, input: PointsInput) -> async_graphql::Result<WalletMovement> {
        let op = Op::RedeemPoints { points: input.points };
        let extra = Extra { reference: input.reference, note: input.note, idempotency_key: input.idempotency_key };
        run(ctx, &input.customer_id, op, extra).await
    }

    /// Runs the credit-expiry job now (it also runs hourly).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn run_credit_expiry(&self, ctx: &Context<'_>) -> async_graphql::Result<CreditExpiryRun> {
        let report = crate::jobs::run_credit_expiry(app(ctx)).await.extend()?;
        Ok(CreditExpiryRun::from(report))
    }
}

/// What a run of the credit-expiry job did.
#[derive(SimpleObject)]
pub struct CreditExpiryRun {
    /// Credits expired.
    pub credits: i64,
    /// Sum of what was left on them.
    pub amount: Money,
    /// Wallets touched.
    pub wallets: i64,
}

impl From<ExpiryReport> for CreditExpiryRun {
    fn from(r: ExpiryReport) -> Self {
        Self { credits: r.credits as i64, amount: Money(r.amount), wallets: r.wallets as i64 }
    }
}

/// A change of a wallet, as it committed.
pub struct WalletEvent(pub DomainEvent);

#[Object]
impl WalletEvent {
    /// Its position in the event log: resume after it with `afterEventId`.
    async fn event_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// `wallet.deposited`, `wallet.withdrawn`, `wallet.credit_issued`,
    /// `wallet.credit_used`, `wallet.credit_expired`, `wallet.adjusted`,
    /// `wallet.reversed`, `wallet.points_earned`, `wallet.points_redeemed`.
    #[graphql(name = "type")]
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who caused it (`user:1`, `apikey:3`, `system`).
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(|id| ID(id.to_string()))
    }
    async fn transaction_id(&self) -> Option<ID> {
        self.0.data.get("transactionId").and_then(|v| v.as_i64()).map(|id| ID(id.to_string()))
    }
    /// Amount, balances after and deltas (minor units) as published.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.data.clone())
    }
    /// The ledger row it wrote.
    async fn transaction(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WalletTransaction>> {
        let Some(id) = self.0.data.get("transactionId").and_then(|v| v.as_i64()) else { return Ok(None) };
        let rows = service::transactions_by_ids(app(ctx).db.conn(), &[id]).await.extend()?;
        Ok(rows.into_iter().next().map(WalletTransaction))
    }
    /// The wallet as it is now.
    async fn wallet(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Wallet>> {
        let Some(id) = self.0.customer_id else { return Ok(None) };
        Ok(loaders(ctx).wallets.load_one(id).await.map_err(gql)?.map(Wallet::from))
    }
    /// The customer as they are now.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let Some(id) = self.0.customer_id else { return Ok(None) };
        Ok(loaders(ctx).customers.load_one(id).await.map_err(gql)?.map(Customer))
    }
}

/// The stream of a wallet subscription.
type WalletStream = BoxStream<'static, async_graphql::Result<WalletEvent>>;

#[derive(Default)]
pub struct WalletSubscription;

#[Subscription]
impl WalletSubscription {
    /// Every change of one customer's wallet, as it commits. With
    /// `afterEventId`, first the retained events after it (none missed,
    /// none twice). Ends with `LAGGED` (and `lastEventId`) when the client
    /// falls behind, `UNAUTHENTICATED` when the token expires.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn wallet_updated(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
        after_event_id: Option<ID>,
    ) -> async_graphql::Result<WalletStream> {
        let id = parse_id(&customer_id, "customerId")?;
        // Refuse at once what the caller may not see (FORBIDDEN / NOT_FOUND).
        service::of_customer(app(ctx), principal(ctx)?, id).await.extend()?;
        event_stream(ctx, after_event_id, move |e| e.entity_type == "wallet" && e.customer_id == Some(id), WalletEvent)
    }

    /// Every wallet change of every customer (MANAGER and above).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn wallet_events(
        &self,
        ctx: &Context<'_>,
        after_event_id: Option<ID>,
    ) -> async_graphql::Result<WalletStream> {
        event_stream(ctx, after_event_id, |e| e.entity_type == "wallet", WalletEvent)
    }
}
