//! Demo data: staff and customers with Vietnamese-style names and phones.
//!
//! Customer number `i` is always the same person (name, phone, city come
//! from `i`), so seeding is idempotent: running `seed --customers N` again
//! adds nothing, and a larger N adds only the missing ones. Rows go in
//! batches, one transaction (and one audit row) per batch.

mod names;
pub mod orders;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set};
use serde_json::json;

use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::model::user;
use crate::auth::{Principal, Role};
use crate::customers::model::{CustomerStatus, CustomerTier, CustomerType, LifecycleStage, Temperature, customer};
use crate::customers::service::{member_code, search_text};
use crate::{activities, wallets};

const BATCH: usize = 500;

/// What a seeding run did.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub added: u64,
    pub existing: u64,
    pub elapsed: Duration,
}

/// The phone of demo customer `i` (E.164). Distinct for distinct `i` below
/// 10^7: the last seven digits are `i` through a bijection of 0..10^7
/// (multiplying by a number coprime to 10^7), which also makes them look
/// random.
pub fn demo_phone(i: u64) -> String {
    let p = names::MOBILE_PREFIXES.len() as u64;
    let prefix = names::MOBILE_PREFIXES[(i % p) as usize];
    let rest = (i * 4_567_891 + 1_234_567) % 10_000_000;
    format!("+84{prefix}{rest:07}")
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn family(rng: &mut StdRng) -> &'static str {
    let total: u32 = names::FAMILY.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (name, weight) in names::FAMILY {
        if roll < *weight {
            return name;
        }
        roll -= weight;
    }
    names::FAMILY[0].0
}

/// Demo customer `i`, without id and member code.
struct Person {
    name: String,
    phone: String,
    email: Option<String>,
    city: &'static str,
    address: String,
    birthday: NaiveDate,
    tags: Vec<&'static str>,
    tier: CustomerTier,
}

fn person(i: u64) -> Person {
    let mut rng = StdRng::seed_from_u64(i);
    let (fam, mid, given) = (family(&mut rng), pick(&mut rng, names::MIDDLE), pick(&mut rng, names::GIVEN));
    let name = format!("{fam} {mid} {given}");
    let email = rng.random_bool(0.6).then(|| {
        let user = deunicode::deunicode(&format!("{given}.{fam}")).to_lowercase().replace(' ', "");
        format!("{user}{}@{}", i, pick(&mut rng, &["gmail.com", "yahoo.com.vn", "outlook.com"]))
    });
    let city = pick(&mut rng, names::CITIES);
    let address = format!("{} {}", rng.random_range(1..400), pick(&mut rng, names::STREETS));
    let birthday =
        NaiveDate::from_ymd_opt(rng.random_range(1965..2006), rng.random_range(1..13), rng.random_range(1..29))
            .unwrap_or_default();
    let tags = names::TAGS.iter().copied().filter(|_| rng.random_bool(0.15)).collect();
    let tier = match rng.random_range(0..100) {
        0..55 => CustomerTier::New,
        55..80 => CustomerTier::Silver,
        80..95 => CustomerTier::Gold,
        _ => CustomerTier::Platinum,
    };
    Person { name, phone: demo_phone(i), email, city, address, birthday, tags, tier }
}

/// Makes sure demo customers 1..=`n` exist.
pub async fn customers(ctx: &AppCtx, n: u64, progress: bool) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let bar = if progress { ProgressBar::new(n) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} seeding [{bar:40}] {pos}/{len} customers ({per_sec}, eta {eta})")?
            .progress_chars("=> "),
    );
    let agents: Vec<i64> = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Agent))
        .filter(user::Column::Active.eq(true))
        .select_only()
        .column(user::Column::Id)
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    let system = Principal::system();
    let now = ctx.now();
    let year = ctx.business_year();
    let (mut added, mut existing) = (0u64, 0u64);
    let mut start = 1u64;
    let mut batches = 0u64;
    while start <= n {
        let end = (start + BATCH as u64 - 1).min(n);
        let people: Vec<(u64, Person)> = (start..=end).map(|i| (i, person(i))).collect();
        let tx = ctx.begin().await?;
        let present: HashSet<String> = customer::Entity::find()
            .filter(customer::Column::Phone.is_in(people.iter().map(|(_, p)| p.phone.clone())))
            .select_only()
            .column(customer::Column::Phone)
            .into_tuple::<String>()
            .all(tx.db())
            .await?
            .into_iter()
            .collect();
        let fresh: Vec<&(u64, Person)> = people.iter().filter(|(_, p)| !present.contains(&p.phone)).collect();
        existing += (people.len() - fresh.len()) as u64;
        if !fresh.is_empty() {
            let first_no = crate::db::next_in_sequence(tx.db(), &format!("MEM-{year}"), fresh.len() as i64).await?;
            let span = Days::days(365).num_seconds() / n.max(1) as i64;
            let rows: Vec<customer::ActiveModel> = fresh
                .iter()
                .enumerate()
                .map(|(k, (i, p))| {
                    let code = member_code(year, first_no + k as i64);
                    let created = now - Days::seconds(span * (n - i) as i64);
                    let agent = (!agents.is_empty() && i % 2 == 0).then(|| agents[(*i as usize / 2) % agents.len()]);
                    customer::ActiveModel {
                        search_text: Set(search_text(&p.name, p.email.as_deref(), &code, &p.phone)),
                        member_code: Set(code),
                        name: Set(p.name.clone()),
                        phone: Set(p.phone.clone()),
                        email: Set(p.email.clone()),
                        address: Set(Some(p.address.clone())),
                        city: Set(Some(p.city.to_owned())),
                        birthday: Set(Some(p.birthday)),
                        anniversary: Set(None),
                        tier: Set(p.tier),
                        customer_type: Set(CustomerType::New),
                        lifecycle_stage: Set(LifecycleStage::Prospect),
                        temperature: Set(Temperature::Cold),
                        status: Set(CustomerStatus::Active),
                        tags: Set(json!(p.tags)),
                        assigned_agent_id: Set(agent),
                        external_ids: Set(json!({})),
                        ticket_count: Set(0),
                        return_count: Set(0),
                        created_at: Set(created),
                        updated_at: Set(created),
                        ..Default::default()
                    }
                })
                .collect();
            customer::Entity::insert_many(rows).exec(tx.db()).await?;
            let ids: Vec<(i64, String)> = customer::Entity::find()
                .filter(customer::Column::Phone.is_in(fresh.iter().map(|(_, p)| p.phone.clone())))
                .select_only()
                .column(customer::Column::Id)
                .column(customer::Column::MemberCode)
                .into_tuple()
                .all(tx.db())
                .await?;
            wallets::model::wallet::Entity::insert_many(
                ids.iter().map(|(id, _)| wallets::service::empty_wallet(*id, now)),
            )
            .exec(tx.db())
            .await?;
            activities::model::Entity::insert_many(ids.iter().map(|(id, code)| activities::model::ActiveModel {
                customer_id: Set(*id),
                kind: Set("customer.created".into()),
                summary: Set(format!("Customer {code} created (demo data)")),
                data: Set(json!({ "memberCode": code, "source": "seed" })),
                actor: Set(system.actor()),
                created_at: Set(now),
                ..Default::default()
            }))
            .exec(tx.db())
            .await?;
            audit::record(
                &tx,
                &system,
                now,
                Change {
                    action: "seed.customers",
                    entity_type: "customer",
                    entity_id: None,
                    before: None,
                    after: Some(json!({ "count": ids.len(), "from": start, "to": end })),
                },
            )
            .await?;
            added += fresh.len() as u64;
        }
        tx.commit().await?;
        batches += 1;
        if batches % 20 == 1 {
            // The phone lookups above (seen: 100,000 customers in 268 s
            // instead of 30 s without it).
            ctx.db.analyze("customers").await;
        }
        bar.inc(people.len() as u64);
        start = end + 1;
    }
    bar.finish_and_clear();
    Ok(SeedReport { added, existing, elapsed: started.elapsed() })
}

/// On a new database: a few staff members to own customers, and 60 demo
/// customers with notes. Does nothing once any customer exists.
pub async fn demo_if_empty(ctx: &AppCtx) -> anyhow::Result<()> {
    if customer::Entity::find().count(ctx.db.conn()).await? > 0 {
        return Ok(());
    }
    let system = Principal::system();
    for (email, name, role) in [
        ("manager@crm360.local", "Trần Thu Hà", Role::Manager),
        ("agent.lan@crm360.local", "Nguyễn Ngọc Lan", Role::Agent),
        ("agent.minh@crm360.local", "Lê Đức Minh", Role::Agent),
    ] {
        let exists = user::Entity::find().filter(user::Column::Email.eq(email)).count(ctx.db.conn()).await? > 0;
        if !exists {
            let new = crate::auth::service::NewUser {
                email: email.into(),
                name: name.into(),
                role,
                password: crate::auth::service::generate_password(),
            };
            crate::auth::service::create_user(ctx, &system, new).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    customers(ctx, 60, false).await?;
    let notes = [
        "Prefers delivery after 6 PM.",
        "Asked about the loyalty program; send the brochure.",
        "Called about a late parcel, resolved with the carrier.",
    ];
    let first: Vec<i64> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .limit(6)
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    for (k, id) in first.into_iter().enumerate() {
        crate::customers::service::add_note(ctx, &system, id, notes[k % notes.len()], k == 0)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    demo_money_and_tickets(ctx).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let o = orders::orders(ctx, 480, false).await?;
    crate::analytics::rfm::recalculate(ctx, &system).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(
        "loaded demo data: 3 staff members, 60 customers with {} orders over the last year, deposits and 12 tickets",
        o.added
    );
    Ok(())
}

/// Deposits into the first customers' wallets and a dozen tickets in every
/// status, a few near or past their carrier deadline, through the services
/// (so codes, ledger, history and timeline are what real use makes).
async fn demo_money_and_tickets(ctx: &AppCtx) -> crate::error::AppResult<()> {
    use crate::tickets::model::{CompensationKind, TicketPriority, TicketStatus, TicketType};
    use crate::tickets::service::{self as tickets, NewTicket, Resolution, TicketCustomer};
    use crate::wallets::model::WalletSource;
    use crate::wallets::service::{Movement, Op};

    let system = Principal::system();
    let ids: Vec<i64> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .limit(12)
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    for (k, id) in ids.iter().enumerate().take(8) {
        let amount = 150_000 * (k as i64 + 1);
        let deposit = Op::Deposit { amount, source: WalletSource::BankTransfer };
        wallets::service::apply(ctx, &system, Movement::new(*id, deposit)).await?;
    }
    let kinds = [
        TicketType::Boom,
        TicketType::Exchange,
        TicketType::MissingItems,
        TicketType::ReturnRefund,
        TicketType::Support,
    ];
    let descriptions = [
        "Customer refused the parcel at the door",
        "Wants to exchange the shirt for size L",
        "One of three items missing from the parcel",
        "Returned a faulty kettle, asks for a refund",
        "Asks when the next sale starts",
    ];
    for (k, id) in ids.iter().enumerate() {
        let kind = kinds[k % kinds.len()];
        let deadline = (kind != TicketType::Support).then(|| ctx.now() + chrono::Duration::hours(6 + 12 * k as i64));
        let new = NewTicket {
            customer: TicketCustomer::Id(*id),
            kind,
            priority: if k % 4 == 0 { TicketPriority::High } else { TicketPriority::Normal },
            order_ref: Some(format!("ORD-DEMO-{:03}", k + 1)),
            carrier: deadline.map(|_| ["GHN", "GHTK", "Viettel Post"][k % 3].to_owned()),
            carrier_deadline: deadline,
            assignee_id: None,
            description: descriptions[k % descriptions.len()].to_owned(),
            attachments: Vec::new(),
        };
        let t = tickets::create(ctx, &system, new).await?.ticket;
        let path: &[TicketStatus] = match k % 6 {
            0 | 1 => &[],
            2 => &[TicketStatus::InProgress],
            3 => &[TicketStatus::InProgress, TicketStatus::WaitingCarrier],
            4 => &[TicketStatus::Cancelled],
            _ => &[TicketStatus::InProgress, TicketStatus::WaitingCarrier],
        };
        for to in path {
            tickets::transition(ctx, &system, t.id, *to, None).await?;
        }
        if k % 6 == 5 {
            let (compensation, amount) = match kind {
                TicketType::Boom => (CompensationKind::VirtualCredit, Some(50_000)),
                TicketType::ReturnRefund => (CompensationKind::Refund, Some(120_000)),
                TicketType::Exchange => (CompensationKind::Exchange, None),
                _ => (CompensationKind::None, None),
            };
            let r = Resolution {
                kind: compensation,
                amount,
                lifetime_days: None,
                resolution: Some("Resolved with the customer by phone".into()),
                idempotency_key: None,
            };
            tickets::resolve(ctx, &system, t.id, r).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_phones_are_valid_and_distinct() {
        let vn = crate::customers::phone::region("VN").unwrap();
        let mut seen = HashSet::new();
        for i in 1..3000 {
            let p = demo_phone(i);
            assert_eq!(crate::customers::phone::normalize(&p, vn, "phone").ok(), Some(p.clone()), "{p}");
            assert!(seen.insert(p));
        }
    }

    #[test]
    fn the_same_number_is_always_the_same_person() {
        assert_eq!(person(42).name, person(42).name);
        assert_eq!(person(42).phone, person(42).phone);
    }
}
