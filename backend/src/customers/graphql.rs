//! GraphQL face of customers: thin resolvers over [`super::service`].

use std::sync::Arc;

use async_graphql::{
    ComplexObject, Context, ErrorExtensions, ID, InputObject, Json, MaybeUndefined, Object, ResultExt, SimpleObject,
    Subscription,
};
use chrono::{DateTime, NaiveDate, Utc};

use super::model::{CustomerStatus, CustomerTier, CustomerType, LifecycleStage, Temperature, customer, note};
use super::service::{self, CustomerCursor, CustomerListQuery, CustomerPatch, CustomerSort, NewCustomer};
use super::{duplicates, merge};
use crate::activities::graphql::{Activity, ActivityConnection};
use crate::auth::Role;
use crate::auth::graphql::User;
use crate::events::DomainEvent;
use crate::graphql::connection::{self, IdCursor};
use crate::graphql::guards::RoleGuard;
use crate::graphql::loaders::{gql, loaders};
use crate::graphql::{app, maybe, opt_id, parse_id, principal};
use crate::money::Money;
use crate::wallets::graphql::Wallet;

/// A customer, with everything the 360 view needs reachable from it.
pub struct Customer(pub customer::Model);

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `MEM-2026-0001`.
    async fn member_code(&self) -> &str {
        &self.0.member_code
    }
    /// `N2000123`: written in a bank transfer's content (show it as a QR
    /// code), it links the transfer to this customer and deposits it.
    async fn transfer_code(&self) -> String {
        crate::bank::transfer_code(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// E.164 (`+84901234567`).
    async fn phone(&self) -> &str {
        &self.0.phone
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    async fn birthday(&self) -> Option<NaiveDate> {
        self.0.birthday
    }
    async fn anniversary(&self) -> Option<NaiveDate> {
        self.0.anniversary
    }
    async fn tier(&self) -> CustomerTier {
        self.0.tier
    }
    async fn customer_type(&self) -> CustomerType {
        self.0.customer_type
    }
    async fn lifecycle_stage(&self) -> LifecycleStage {
        self.0.lifecycle_stage
    }
    async fn temperature(&self) -> Temperature {
        self.0.temperature
    }
    async fn status(&self) -> CustomerStatus {
        self.0.status
    }
    async fn tags(&self) -> Vec<String> {
        self.0.tag_list()
    }
    /// Ids of this customer in other systems (`{"pos": "123"}`).
    async fn external_ids(&self) -> Json<serde_json::Value> {
        Json(self.0.external_ids.clone())
    }
    async fn ticket_count(&self) -> i32 {
        self.0.ticket_count
    }
    async fn return_count(&self) -> i32 {
        self.0.return_count
    }
    /// Sum of the orders that count (all but CANCELLED and RETURNED).
    async fn total_spent(&self) -> Money {
        Money(self.0.total_spent)
    }
    /// Orders that count.
    async fn order_count(&self) -> i32 {
        self.0.order_count
    }
    /// When the latest order that counts was placed.
    async fn last_order_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_order_at
    }
    /// RFM scores and segment (none before the first order that counts),
    /// as of the last recalculation (after each order, and nightly).
    async fn rfm(&self) -> Option<crate::analytics::graphql::RfmScores> {
        let (r, f, m) = (self.0.rfm_r?, self.0.rfm_f?, self.0.rfm_m?);
        let segment = self.0.rfm_segment.as_deref().and_then(crate::analytics::rfm::Segment::parse)?;
        Some(crate::analytics::graphql::RfmScores::of(r, f, m, segment))
    }
    /// How long the customer has been away: LOW from 30 days without an
    /// order, MEDIUM from 60, HIGH from 90, CRITICAL after 120.
    async fn drop_off_risk(&self) -> Option<crate::analytics::rfm::DropOffRisk> {
        self.0.drop_off_risk.as_deref().and_then(crate::analytics::rfm::DropOffRisk::parse)
    }
    /// Fraud flags, newest first, open and cleared, with their evidence.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn flags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<crate::analytics::graphql::FraudFlag>> {
        let list = crate::analytics::fraud::flags_of(app(ctx), self.0.id).await.extend()?;
        Ok(list.into_iter().map(crate::analytics::graphql::FraudFlag).collect())
    }
    /// This customer's orders, newest first.
    #[graphql(complexity = "connection::complexity(first, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<crate::orders::graphql::OrderFilter>,
    ) -> async_graphql::Result<crate::orders::graphql::OrderConnection> {
        crate::orders::graphql::order_connection(ctx, first, after, filter, Some(self.0.id)).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The customer this one was merged into (`mergeCustomers`): this one
    /// is then a tombstone, left out of lists and search, its data moved
    /// there. Follow it (it may itself have been merged later).
    async fn merged_into(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        match self.0.merged_into_id {
            None => Ok(None),
            Some(id) => Ok(loaders(ctx).customers.load_one(id).await.map_err(gql)?.map(Customer)),
        }
    }
    /// When this customer was merged into another one.
    async fn merged_at(&self) -> Option<DateTime<Utc>> {
        self.0.merged_at
    }
    /// The agent who owns this customer.
    async fn assigned_agent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.0.assigned_agent_id {
            None => Ok(None),
            Some(id) => Ok(loaders(ctx).users.load_one(id).await.map_err(gql)?.map(User)),
        }
    }
    /// Balances (batched across a page of customers).
    async fn wallet(&self, ctx: &Context<'_>) -> async_graphql::Result<Wallet> {
        loaders(ctx)
            .wallets
            .load_one(self.0.id)
            .await
            .map_err(gql)?
            .map(Wallet::from)
            .ok_or_else(|| async_graphql::Error::new("wallet missing").extend_with(|_, e| e.set("code", "INTERNAL")))
    }
    /// Notes, pinned first, then newest first.
    async fn notes(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<CustomerNote>> {
        let all = loaders(ctx).notes.load_one(self.0.id).await.map_err(gql)?.unwrap_or_default();
        Ok(all.into_iter().take(first as usize).map(CustomerNote).collect())
    }
    /// Family members, oldest entry first (batched across a page of customers).
    async fn family_members(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::engagement::graphql::FamilyMember>> {
        let all = loaders(ctx).family.load_one(self.0.id).await.map_err(gql)?.unwrap_or_default();
        Ok(all.into_iter().map(crate::engagement::graphql::FamilyMember).collect())
    }
    /// The newest interactions (batched across a page of customers); the
    /// whole list is `interactions(customerId:)`.
    async fn interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<crate::engagement::graphql::Interaction>> {
        let key = (self.0.id, first as u64);
        let list = loaders(ctx).interactions.load_one(key).await.map_err(gql)?.unwrap_or_default();
        Ok(list.into_iter().map(crate::engagement::graphql::Interaction).collect())
    }
    /// This customer's tickets (newest first unless sorted), filtered like `tickets`.
    #[graphql(complexity = "connection::complexity(first, child_complexity)")]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<crate::tickets::graphql::TicketFilter>,
        sort: Option<crate::tickets::service::TicketSort>,
    ) -> async_graphql::Result<crate::tickets::graphql::TicketConnection> {
        crate::tickets::graphql::ticket_connection(ctx, first, after, None, filter, sort, Some(self.0.id)).await
    }
    /// Everything that happened to this customer, newest first.
    #[graphql(complexity = "connection::complexity(first, child_complexity)")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ActivityConnection> {
        let app = app(ctx).clone();
        let first = connection::page_size(first).extend()?;
        let after: Option<IdCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let id = self.0.id;
        let (rows, more) =
            crate::activities::service::list(app.db.conn(), id, first, after.map(|c| c.id)).await.extend()?;
        let items =
            rows.into_iter().map(|a| (connection::encode_cursor(&IdCursor { id: a.id }), Activity(a))).collect();
        let counter: connection::Counter = Arc::new(move || {
            let app = app.clone();
            Box::pin(async move { crate::activities::service::count(app.db.conn(), id).await })
        });
        Ok(ActivityConnection::new(items, more, after.is_some(), counter))
    }
}

/// A note about a customer.
pub struct CustomerNote(pub note::Model);

#[Object]
impl CustomerNote {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.customer_id.to_string())
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn pinned(&self) -> bool {
        self.0.pinned
    }
    /// Who wrote it (none when written through an API key).
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.0.author_id {
            None => Ok(None),
            Some(id) => Ok(loaders(ctx).users.load_one(id).await.map_err(gql)?.map(User)),
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A new customer. Only `name` and `phone` are required.
#[derive(InputObject)]
pub struct CreateCustomerInput {
    pub name: String,
    /// Any usual writing (`0901234567`, `+84 90 123 4567`); stored as E.164.
    pub phone: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub anniversary: Option<NaiveDate>,
    #[graphql(default)]
    pub tags: Vec<String>,
    /// Defaults to the calling agent; MANAGER and above may choose.
    pub assigned_agent_id: Option<ID>,
    pub external_ids: Option<Json<serde_json::Value>>,
}

/// A change to a customer: omitted fields stay, `null` clears.
#[derive(InputObject)]
pub struct UpdateCustomerInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: MaybeUndefined<String>,
    pub address: MaybeUndefined<String>,
    pub city: MaybeUndefined<String>,
    pub birthday: MaybeUndefined<NaiveDate>,
    pub anniversary: MaybeUndefined<NaiveDate>,
    pub tags: Option<Vec<String>>,
    /// MANAGER and above.
    pub status: Option<CustomerStatus>,
    /// MANAGER and above; `null` unassigns.
    pub assigned_agent_id: MaybeUndefined<ID>,
    pub external_ids: Option<Json<serde_json::Value>>,
}

/// Narrows a customer list.
#[derive(InputObject, Default)]
pub struct CustomerFilter {
    pub tiers: Option<Vec<CustomerTier>>,
    pub statuses: Option<Vec<CustomerStatus>>,
    /// Customers with any of these tags.
    pub tags: Option<Vec<String>>,
    pub assigned_agent_id: Option<ID>,
    /// Only customers nobody owns.
    #[graphql(default)]
    pub unassigned: bool,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
}

/// The answer of `getOrCreateCustomerByPhone`.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CustomerLookup {
    /// True when this call created the customer.
    pub created: bool,
    #[graphql(skip)]
    pub model: customer::Model,
}

#[ComplexObject]
impl CustomerLookup {
    async fn customer(&self) -> Customer {
        Customer(self.model.clone())
    }
}

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// A customer by id.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Customer> {
        let id = parse_id(&id, "id")?;
        Ok(Customer(service::get(app(ctx), principal(ctx)?, id).await.extend()?))
    }

    /// A customer by phone, written any way; `null` when unknown.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn customer_by_phone(&self, ctx: &Context<'_>, phone: String) -> async_graphql::Result<Option<Customer>> {
        Ok(service::find_by_phone(app(ctx), principal(ctx)?, &phone).await.extend()?.map(Customer))
    }

    /// A customer by member code (`MEM-2026-0001`); `null` when unknown.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn customer_by_member_code(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Customer>> {
        Ok(service::find_by_member_code(app(ctx), principal(ctx)?, &code).await.extend()?.map(Customer))
    }

    /// Customers the caller may see, searched, filtered and sorted. `search`
    /// matches name (accents ignored), phone fragment, email and member code.
    #[graphql(
        guard = "RoleGuard::at_least(Role::Viewer)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
        filter: Option<CustomerFilter>,
        sort: Option<CustomerSort>,
    ) -> async_graphql::Result<CustomerConnection> {
        let app = app(ctx).clone();
        let actor = principal(ctx)?.clone();
        let first = connection::page_size(first).extend()?;
        let cursor: Option<CustomerCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let f = filter.unwrap_or_default();
        let q = CustomerListQuery {
            search: search.filter(|s| !s.trim().is_empty()),
            tiers: f.tiers.unwrap_or_default(),
            statuses: f.statuses.unwrap_or_default(),
            tags: f.tags.unwrap_or_default(),
            assigned_agent_id: opt_id(f.assigned_agent_id.as_ref(), "filter.assignedAgentId")?,
            unassigned: f.unassigned,
            created_from: f.created_from,
            created_to: f.created_to,
            sort: sort.unwrap_or_default(),
        };
        let has_previous = cursor.is_some();
        let (rows, more) = service::search(&app, &actor, &q, first, cursor).await.extend()?;
        let items = rows
            .into_iter()
            .map(|c| (connection::encode_cursor(&service::cursor_of(&c, q.sort)), Customer(c)))
            .collect();
        let counter: connection::Counter = Arc::new(move || {
            let (app, actor, q) = (app.clone(), actor.clone(), q.clone());
            Box::pin(async move { service::count(&app, &actor, &q).await })
        });
        Ok(CustomerConnection::new(items, more, has_previous, counter))
    }

    /// Groups of live customers that look like one person: the same phone
    /// number however written, the same email, or the same name (accents
    /// and case ignored) with the same city or birthday. Newest first.
    #[graphql(
        guard = "RoleGuard::at_least(Role::Manager)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn duplicate_customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<DuplicateGroupConnection> {
        let first = connection::page_size(first).extend()?;
        let after: Option<IdCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let all = duplicates::find(app(ctx), principal(ctx)?).await.extend()?;
        let start = after.map(|c| c.id.max(0) as usize + 1).unwrap_or(0).min(all.len());
        let total = all.len() as u64;
        let more = all.len() > start + first as usize;
        let items = all
            .into_iter()
            .enumerate()
            .skip(start)
            .take(first as usize)
            .map(|(i, g)| (connection::encode_cursor(&IdCursor { id: i as i64 }), DuplicateGroup(g)))
            .collect();
        let counter: connection::Counter = Arc::new(move || Box::pin(async move { Ok(total) }));
        Ok(DuplicateGroupConnection::new(items, more, start > 0, counter))
    }

    /// What `mergeCustomers` would move, without changing anything.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn merge_preview(
        &self,
        ctx: &Context<'_>,
        survivor_id: ID,
        duplicate_id: ID,
    ) -> async_graphql::Result<MergePreview> {
        let (s, d) = (parse_id(&survivor_id, "survivorId")?, parse_id(&duplicate_id, "duplicateId")?);
        let p = merge::preview(app(ctx), principal(ctx)?, s, d).await.extend()?;
        Ok(MergePreview {
            survivor: Customer(p.survivor),
            duplicate: Customer(p.duplicate),
            moves: p.moved.iter().map(MergeMove::from).collect(),
            real_balance: Money(p.real),
            virtual_balance: Money(p.virtual_amount),
            points: p.points,
        })
    }
}

/// Customers that look like one person, and why.
pub struct DuplicateGroup(pub duplicates::DuplicateGroup);

#[Object]
impl DuplicateGroup {
    /// Why, strongest first (PHONE, EMAIL, NAME_CITY, NAME_BIRTHDAY).
    async fn reasons(&self) -> &[duplicates::DuplicateReason] {
        &self.0.reasons
    }
    /// What the members share, one per reason: the normalised phone, the
    /// email, or the folded name with the city or birthday
    /// (`nguyen van an · ha noi`).
    async fn keys(&self) -> &[String] {
        &self.0.keys
    }
    /// How many customers the group has (`customers` lists at most 20).
    async fn size(&self) -> i32 {
        self.0.size as i32
    }
    /// The members, oldest first (batched across the page).
    async fn customers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Customer>> {
        let found = loaders(ctx).customers.load_many(self.0.customer_ids.iter().copied()).await.map_err(gql)?;
        Ok(self.0.customer_ids.iter().filter_map(|id| found.get(id).cloned().map(Customer)).collect())
    }
}

crate::graphql::connection::connection!(DuplicateGroupConnection, DuplicateGroupEdge, DuplicateGroup);

/// Rows of one kind that a merge moves to the survivor.
#[derive(SimpleObject)]
pub struct MergeMove {
    /// The table (`orders`, `tickets`, `call_tasks` …).
    pub table: String,
    /// `Orders`, `Tickets` …
    pub label: String,
    /// Rows that move to the survivor.
    pub moved: i32,
    /// Rows that stay with the tombstone because the survivor already has
    /// their twin (a message of the same campaign, a call task of the same
    /// day and kind).
    pub kept: i32,
}

impl From<&merge::Moved> for MergeMove {
    fn from(m: &merge::Moved) -> Self {
        Self { table: m.table.to_owned(), label: m.label.to_owned(), moved: m.moved as i32, kept: m.kept as i32 }
    }
}

/// What merging two customers would do (nothing is changed).
#[derive(SimpleObject)]
pub struct MergePreview {
    pub survivor: Customer,
    pub duplicate: Customer,
    /// Per table, what moves and what stays.
    pub moves: Vec<MergeMove>,
    /// The duplicate's real balance, moved by ledger rows.
    pub real_balance: Money,
    /// The duplicate's active virtual credits, moved with their expiry.
    pub virtual_balance: Money,
    /// The duplicate's points.
    pub points: i64,
}

/// What a merge did.
#[derive(SimpleObject)]
pub struct MergeResult {
    /// The customer that stays, with everything moved in.
    pub survivor: Customer,
    /// The tombstone (`mergedInto` is the survivor).
    pub duplicate: Customer,
    pub moves: Vec<MergeMove>,
    /// Real money moved.
    pub real_moved: Money,
    /// Virtual credit moved.
    pub virtual_moved: Money,
    /// Virtual credits moved (each keeps its expiry).
    pub credits_moved: i32,
    pub points_moved: i64,
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Creates a customer with an empty wallet. A phone already in use is
    /// `CONFLICT` on `input.phone`.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn create_customer(&self, ctx: &Context<'_>, input: CreateCustomerInput) -> async_graphql::Result<Customer> {
        let new = NewCustomer {
            assigned_agent_id: opt_id(input.assigned_agent_id.as_ref(), "input.assignedAgentId")?,
            name: input.name,
            phone: input.phone,
            email: input.email,
            address: input.address,
            city: input.city,
            birthday: input.birthday,
            anniversary: input.anniversary,
            tags: input.tags,
            external_ids: input.external_ids.map(|j| j.0),
        };
        Ok(Customer(service::create(app(ctx), principal(ctx)?, new).await.extend()?))
    }

    /// Changes a customer's profile.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCustomerInput,
    ) -> async_graphql::Result<Customer> {
        let id = parse_id(&id, "id")?;
        let assigned_agent_id = match input.assigned_agent_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(v) => Some(Some(parse_id(&v, "input.assignedAgentId")?)),
        };
        let patch = CustomerPatch {
            name: input.name,
            phone: input.phone,
            email: maybe(input.email, |v| v),
            address: maybe(input.address, |v| v),
            city: maybe(input.city, |v| v),
            birthday: maybe(input.birthday, |v| v),
            anniversary: maybe(input.anniversary, |v| v),
            tags: input.tags,
            status: input.status,
            assigned_agent_id,
            external_ids: input.external_ids.map(|j| j.0),
        };
        Ok(Customer(service::update(app(ctx), principal(ctx)?, id, patch).await.extend()?))
    }

    /// The customer with this phone, created (with `name`, or a placeholder
    /// name) when there is none. The one entry point of the UI, tickets and
    /// bank transfers; safe to call concurrently.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn get_or_create_customer_by_phone(
        &self,
        ctx: &Context<'_>,
        phone: String,
        name: Option<String>,
    ) -> async_graphql::Result<CustomerLookup> {
        let (model, created) =
            service::get_or_create_by_phone(app(ctx), principal(ctx)?, &phone, name).await.extend()?;
        Ok(CustomerLookup { created, model })
    }

    /// Adds a note to a customer.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn add_customer_note(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
        body: String,
        #[graphql(default)] pinned: bool,
    ) -> async_graphql::Result<CustomerNote> {
        let id = parse_id(&customer_id, "customerId")?;
        Ok(CustomerNote(service::add_note(app(ctx), principal(ctx)?, id, &body, pinned).await.extend()?))
    }

    /// Pins or unpins a note.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn pin_customer_note(
        &self,
        ctx: &Context<'_>,
        note_id: ID,
        pinned: bool,
    ) -> async_graphql::Result<CustomerNote> {
        let id = parse_id(&note_id, "noteId")?;
        Ok(CustomerNote(service::pin_note(app(ctx), principal(ctx)?, id, pinned).await.extend()?))
    }

    /// Merges the duplicate into the survivor, in one transaction (MANAGER
    /// and above): the wallet moves by ledger rows (MERGED_OUT / MERGED_IN;
    /// virtual credits keep their expiry), orders, tickets, notes, timeline,
    /// interactions, family members, campaign messages, bank transfers,
    /// call tasks and fraud flags move, totals and RFM are recomputed, and
    /// the duplicate stays as a tombstone (`mergedInto`). Merging the same
    /// customer into itself is `BAD_USER_INPUT`; an unknown id `NOT_FOUND`;
    /// a customer already merged (either side) `CONFLICT`.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn merge_customers(
        &self,
        ctx: &Context<'_>,
        survivor_id: ID,
        duplicate_id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<MergeResult> {
        let (s, d) = (parse_id(&survivor_id, "survivorId")?, parse_id(&duplicate_id, "duplicateId")?);
        let m = merge::merge(app(ctx), principal(ctx)?, s, d, reason).await.extend()?;
        Ok(MergeResult {
            survivor: Customer(m.survivor),
            duplicate: Customer(m.duplicate),
            moves: m.moved.iter().map(MergeMove::from).collect(),
            real_moved: Money(m.wallet.real),
            virtual_moved: Money(m.wallet.virtual_amount),
            credits_moved: m.wallet.credits.len() as i32,
            points_moved: m.wallet.points,
        })
    }
}

/// Something that happened to a customer.
pub struct CustomerEvent(DomainEvent);

#[Object]
impl CustomerEvent {
    /// Its position in the event log: resume after it with `afterEventId`.
    async fn event_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// `customer.created`, `customer.updated`, `customer.note_added`,
    /// `customer.tier_changed`.
    #[graphql(name = "type")]
    async fn kind_type(&self) -> &str {
        &self.0.kind
    }
    /// The same as `type` (kept for older clients).
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who caused it.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.entity_id.to_string())
    }
    /// What changed, as published (`{"fields": ["name"]}`).
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.data.clone())
    }
    /// The customer as it is now.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Customer> {
        Ok(Customer(service::get(app(ctx), principal(ctx)?, self.0.entity_id).await.extend()?))
    }
}

#[derive(Default)]
pub struct CustomerSubscription;

#[Subscription]
impl CustomerSubscription {
    /// Customers created or changed, as they commit. AGENTs receive only
    /// their own customers. `afterEventId` resumes after a disconnection.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn customer_events(
        &self,
        ctx: &Context<'_>,
        after_event_id: Option<ID>,
    ) -> async_graphql::Result<futures::stream::BoxStream<'static, async_graphql::Result<CustomerEvent>>> {
        crate::graphql::event_stream(ctx, after_event_id, |e| e.entity_type == "customer", CustomerEvent)
    }
}

crate::graphql::connection::connection!(CustomerConnection, CustomerEdge, Customer);
