//! FIFO spending: which virtual credits pay for a withdrawal.
//!
//! The rule (DESIGN 4.2): spend virtual credits first, the earliest-expiring
//! first (ties by the older credit), then the real balance. When real plus
//! virtual is short, nothing is spent and the caller learns how much is
//! available. Pure, so that it can be tested exhaustively (see the property
//! tests below).

use chrono::{DateTime, Utc};

/// A spendable credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credit {
    pub id: i64,
    pub expires_at: DateTime<Utc>,
    pub remaining: i64,
}

/// How a withdrawal is paid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allocation {
    /// `(credit id, amount taken from it)`, in spending order.
    pub from_credits: Vec<(i64, i64)>,
    /// Taken from the real balance.
    pub from_real: i64,
}

impl Allocation {
    /// The part paid with virtual credits.
    pub fn from_virtual(&self) -> i64 {
        self.from_credits.iter().map(|(_, a)| a).sum()
    }
}

/// Pays `amount` (> 0) from `credits` then `real`, or returns the available
/// total when it is not enough.
pub fn allocate(credits: &[Credit], real: i64, amount: i64) -> Result<Allocation, i64> {
    let mut order: Vec<&Credit> = credits.iter().filter(|c| c.remaining > 0).collect();
    order.sort_by_key(|c| (c.expires_at, c.id));
    let available = order.iter().fold(real.max(0), |sum, c| sum.saturating_add(c.remaining));
    if available < amount {
        return Err(available);
    }
    let mut left = amount;
    let mut out = Allocation::default();
    for c in order {
        if left == 0 {
            break;
        }
        let take = left.min(c.remaining);
        out.from_credits.push((c.id, take));
        left -= take;
    }
    out.from_real = left;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0).unwrap() + chrono::Duration::hours(hours)
    }

    fn credits() -> impl Strategy<Value = Vec<Credit>> {
        prop::collection::vec((0i64..48, 0i64..10_000), 0..8).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (h, remaining))| Credit { id: i as i64 + 1, expires_at: at(h), remaining })
                .collect()
        })
    }

    #[test]
    fn spends_the_earliest_expiring_credit_first_then_real() {
        let cs =
            [Credit { id: 1, expires_at: at(10), remaining: 300 }, Credit { id: 2, expires_at: at(5), remaining: 200 }];
        let a = allocate(&cs, 1000, 600).unwrap();
        assert_eq!(a.from_credits, vec![(2, 200), (1, 300)]);
        assert_eq!(a.from_real, 100);
        assert_eq!(allocate(&cs, 1000, 1501), Err(1500));
    }

    proptest! {
        #[test]
        fn allocation_pays_exactly_in_expiry_order(cs in credits(), real in 0i64..20_000, amount in 1i64..60_000) {
            let total: i64 = real + cs.iter().map(|c| c.remaining).sum::<i64>();
            match allocate(&cs, real, amount) {
                Err(available) => {
                    prop_assert!(total < amount);
                    prop_assert_eq!(available, total);
                }
                Ok(a) => {
                    prop_assert!(total >= amount);
                    // Exactly the amount, nothing negative, nothing over a credit's remaining.
                    prop_assert_eq!(a.from_virtual() + a.from_real, amount);
                    prop_assert!(a.from_real >= 0 && a.from_real <= real);
                    for (id, take) in &a.from_credits {
                        let c = cs.iter().find(|c| c.id == *id).unwrap();
                        prop_assert!(*take > 0 && *take <= c.remaining);
                    }
                    // Each credit at most once, in (expiry, id) order.
                    let keys: Vec<_> = a.from_credits.iter()
                        .map(|(id, _)| cs.iter().find(|c| c.id == *id).map(|c| (c.expires_at, c.id)).unwrap())
                        .collect();
                    prop_assert!(keys.windows(2).all(|w| w[0] < w[1]));
                    // FIFO: every credit expiring before the last one used is used up,
                    // only the last one used may be partial, and real money is
                    // touched only once every credit is spent.
                    if let Some(((last_id, _), rest)) = a.from_credits.split_last() {
                        for (id, take) in rest {
                            let c = cs.iter().find(|c| c.id == *id).unwrap();
                            prop_assert_eq!(*take, c.remaining);
                        }
                        let last = cs.iter().find(|c| c.id == *last_id).unwrap();
                        for c in cs.iter().filter(|c| c.remaining > 0 && (c.expires_at, c.id) < (last.expires_at, last.id)) {
                            prop_assert!(a.from_credits.iter().any(|(id, _)| *id == c.id));
                        }
                    }
                    if a.from_real > 0 {
                        prop_assert_eq!(a.from_virtual(), cs.iter().map(|c| c.remaining).sum::<i64>());
                    }
                }
            }
        }
    }
}
