//! Demo orders for the seeded customers, for analytics at scale
//! (`seed --customers N --orders M`).
//!
//! Customer `id` gets a number of orders drawn from a generator seeded by
//! its id (0 to twice the average, so some customers never ordered), over
//! the last year: each customer has a last-active day, most of them
//! recent, and orders spread between a year ago and that day. About 85 %
//! are delivered, 5 % each pending, cancelled and returned. Amounts are
//! 50,000 to 3,000,000 đồng. External ids `seed-<customer>-<k>` make it
//! idempotent: a rerun adds nothing to a customer that has its orders.
//! Rows go in by bulk insert, then each batch's customer totals are
//! recomputed in one statement; RFM runs once at the end.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::app::AppCtx;
use crate::auth::Principal;
use crate::customers::model::customer;
use crate::orders::model::{OrderChannel, OrderStatus, order};
use crate::orders::service::{order_code, refresh_totals_between};

/// Customers per transaction.
const CUSTOMERS_PER_BATCH: u64 = 1_000;
/// Rows per INSERT (12 parameters each: SQLite takes at most 32,766).
const ROWS_PER_INSERT: usize = 2_000;

/// What seeding orders did.
#[derive(Debug, Clone)]
pub struct OrdersReport {
    pub added: u64,
    pub seconds: f64,
}

const CHANNELS: [OrderChannel; 8] = [
    OrderChannel::Store,
    OrderChannel::Website,
    OrderChannel::Phone,
    OrderChannel::Facebook,
    OrderChannel::Zalo,
    OrderChannel::Shopee,
    OrderChannel::Tiktok,
    OrderChannel::Other,
];

/// One seeded order: `(k, ordered_at, amount, status, channel)`.
type Seeded = (u32, DateTime<Utc>, i64, OrderStatus, OrderChannel);

/// The orders of customer `id`.
fn orders_of(id: i64, average: f64, now: DateTime<Utc>) -> Vec<Seeded> {
    let mut rng = StdRng::seed_from_u64(id as u64 ^ 0x5eed_0d3e);
    let n = rng.random_range(0..=((average * 2.0).round() as u32));
    // Most customers were active recently; a few not for most of a year.
    let idle_days = (rng.random::<f64>().powi(3) * 360.0) as i64;
    (0..n)
        .map(|k| {
            let back = rng.random_range(idle_days..=364);
            let at = now - Duration::days(back) - Duration::seconds(rng.random_range(0..86_400));
            let amount = rng.random_range(50..=3_000) * 1_000;
            let status = match rng.random_range(0..100) {
                0..85 => OrderStatus::Delivered,
                85..90 => OrderStatus::Pending,
                90..95 => OrderStatus::Cancelled,
                _ => OrderStatus::Returned,
            };
            (k, at, amount, status, CHANNELS[rng.random_range(0..CHANNELS.len())])
        })
        .collect()
}

/// Adds about `total` orders over the customers there are; see the module
/// docs.
pub async fn orders(ctx: &AppCtx, total: u64, progress: bool) -> anyhow::Result<OrdersReport> {
    let started = Instant::now();
    let customers = customer::Entity::find().count(ctx.db.conn()).await?;
    if customers == 0 || total == 0 {
        return Ok(OrdersReport { added: 0, seconds: 0.0 });
    }
    let average = total as f64 / customers as f64;
    let bar = if progress { ProgressBar::new(customers) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} orders [{bar:40}] {pos}/{len} customers ({per_sec}, eta {eta})")?
            .progress_chars("=> "),
    );
    let actor = Principal::system().actor();
    let now = ctx.now();
    let mut added = 0u64;
    let mut after = 0i64;
    let mut batches = 0u64;
    loop {
        let ids: Vec<i64> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::Id.gt(after))
            .order_by_asc(customer::Column::Id)
            .limit(CUSTOMERS_PER_BATCH)
            .into_tuple()
            .all(ctx.db.conn())
            .await?;
        let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else { break };
        // Customers of this batch that already have their seeded orders.
        let seeded: std::collections::HashSet<i64> = order::Entity::find()
            .select_only()
            .column(order::Column::CustomerId)
            .filter(order::Column::CustomerId.between(first, last))
            .filter(order::Column::ExternalId.like("seed-%"))
            .distinct()
            .into_tuple()
            .all(ctx.db.conn())
            .await?
            .into_iter()
            .collect();
        let mut by_day: BTreeMap<NaiveDate, Vec<(i64, Seeded)>> = BTreeMap::new();
        for &id in ids.iter().filter(|id| !seeded.contains(id)) {
            for o in orders_of(id, average, now) {
                by_day.entry(o.1.with_timezone(&ctx.tz).date_naive()).or_default().push((id, o));
            }
        }
        let tx = ctx.begin().await?;
        let mut rows: Vec<order::ActiveModel> = Vec::new();
        for (day, list) in by_day {
            let family = format!("ORD-{}", day.format("%Y%m%d"));
            let numbers = ctx.db.reserve_code_numbers(&tx, "ORD", &family, list.len() as i64).await?;
            for ((id, (k, at, amount, status, channel)), n) in list.into_iter().zip(numbers) {
                rows.push(order::ActiveModel {
                    code: Set(order_code(day, n)),
                    customer_id: Set(id),
                    external_id: Set(Some(format!("seed-{id}-{k}"))),
                    channel: Set(channel),
                    status: Set(status),
                    amount: Set(amount),
                    item_count: Set(0),
                    note: Set(None),
                    ordered_at: Set(at),
                    created_by: Set(actor.clone()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
            }
        }
        added += rows.len() as u64;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let part: Vec<order::ActiveModel> = rows.by_ref().take(ROWS_PER_INSERT).collect();
            order::Entity::insert_many(part)
                .on_conflict(OnConflict::column(order::Column::ExternalId).do_nothing().to_owned())
                .try_insert()
                .exec(tx.db())
                .await?;
        }
        refresh_totals_between(tx.db(), first, last, now).await?;
        tx.commit().await?;
        batches += 1;
        if batches % 20 == 1 {
            // The totals' subqueries (seen: 400 orders/s instead of tens
            // of thousands without it).
            ctx.db.analyze("orders").await;
        }
        bar.inc(ids.len() as u64);
        after = last;
    }
    bar.finish_and_clear();
    Ok(OrdersReport { added, seconds: started.elapsed().as_secs_f64() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_always_gets_the_same_orders_within_the_last_year() {
        let now = Utc::now();
        assert_eq!(orders_of(42, 5.0, now), orders_of(42, 5.0, now));
        let all: Vec<_> = (1..2_000).flat_map(|id| orders_of(id, 5.0, now)).collect();
        let average = all.len() as f64 / 1_999.0;
        assert!((4.5..5.5).contains(&average), "{average}");
        assert!(all.iter().all(|o| o.1 <= now && o.1 > now - Duration::days(367)));
        assert!(all.iter().all(|o| o.2 >= 50_000 && o.2 <= 3_000_000));
    }
}
