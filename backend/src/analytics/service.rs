//! KPI deltas of the live dashboard: what one committed event changes in
//! the home dashboard's numbers. Pure, so every rule is unit-tested.

use crate::events::DomainEvent;
use crate::tickets::model::TicketStatus;

/// How one event moves the dashboard's KPIs (zero: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiDelta {
    /// Customers (all, and created today: a creation is both).
    pub customers: i64,
    /// Sum of real balances, minor units.
    pub wallet_real: i64,
    /// Sum of virtual balances, minor units.
    pub wallet_virtual: i64,
    /// Money deposited (deposits and ticket refunds), minor units.
    pub deposited: i64,
    /// Open tickets (NEW, IN_PROGRESS, WAITING_CARRIER).
    pub open_tickets: i64,
    /// Tickets the SLA check flagged overdue.
    pub overdue_flagged: i64,
    /// Bank transfers waiting for a person (PENDING).
    pub pending_transfers: i64,
    /// Bank transfers received.
    pub transfers_received: i64,
    /// Orders that count (not cancelled or returned).
    pub orders: i64,
    /// Their amount, minor units.
    pub revenue: i64,
}

impl KpiDelta {
    fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

fn status(e: &DomainEvent, key: &str) -> Option<TicketStatus> {
    serde_json::from_value(e.data.get(key)?.clone()).ok()
}

/// Whether the order status under `key` counts towards revenue.
fn counted(e: &DomainEvent, key: &str) -> Option<bool> {
    let s: crate::orders::OrderStatus = serde_json::from_value(e.data.get(key)?.clone()).ok()?;
    Some(crate::orders::OrderStatus::COUNTED.contains(&s))
}

/// The KPI change `e` makes, or `None` when it changes none.
pub fn kpi_delta(e: &DomainEvent) -> Option<KpiDelta> {
    let mut d = KpiDelta::default();
    let int = |key: &str| e.data.get(key).and_then(|v| v.as_i64()).unwrap_or(0);
    match e.kind.as_str() {
        "customer.created" => d.customers = 1,
        // The withdrawal's own event carries the balances; its
        // `credit_used` twin would count them twice.
        "wallet.credit_used" => {}
        kind if kind.starts_with("wallet.") => {
            d.wallet_real = int("realDelta");
            d.wallet_virtual = int("virtualDelta");
            if kind == "wallet.deposited" {
                d.deposited = d.wallet_real;
            }
        }
        "ticket.created" => d.open_tickets = 1,
        // A completion publishes `status_changed` too; count that one.
        "ticket.status_changed" => match (status(e, "from"), status(e, "to")) {
            (Some(from), Some(to)) if from.is_open() && !to.is_open() => d.open_tickets = -1,
            (Some(from), Some(to)) if !from.is_open() && to.is_open() => d.open_tickets = 1,
            _ => {}
        },
        "ticket.updated" if e.data.get("history").and_then(|h| h.as_str()) == Some("OVERDUE") => d.overdue_flagged = 1,
        "order.created" if counted(e, "status") == Some(true) => (d.orders, d.revenue) = (1, int("amountMinor")),
        "order.status_changed" => match (counted(e, "from"), counted(e, "to")) {
            (Some(true), Some(false)) => (d.orders, d.revenue) = (-1, -int("amountMinor")),
            (Some(false), Some(true)) => (d.orders, d.revenue) = (1, int("amountMinor")),
            _ => {}
        },
        "bank_transfer.received" => d.transfers_received = 1,
        "bank_transfer.pending" => d.pending_transfers = 1,
        "bank_transfer.linked" if e.data.get("wasPending").and_then(|v| v.as_bool()) == Some(true) => {
            d.pending_transfers = -1
        }
        _ => {}
    }
    (!d.is_zero()).then_some(d)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: &str, data: serde_json::Value) -> DomainEvent {
        let mut e = DomainEvent::new(kind, "x", 1, "system", chrono::Utc::now());
        e.data = data;
        e
    }

    #[test]
    fn money_moves_by_the_ledger_deltas() {
        let d = kpi_delta(&event("wallet.deposited", json!({ "realDelta": 5000, "virtualDelta": 0 }))).unwrap();
        assert_eq!((d.wallet_real, d.deposited), (5000, 5000));
        let d = kpi_delta(&event("wallet.withdrawn", json!({ "realDelta": -100, "virtualDelta": -400 }))).unwrap();
        assert_eq!((d.wallet_real, d.wallet_virtual, d.deposited), (-100, -400, 0));
        assert_eq!(kpi_delta(&event("wallet.credit_used", json!({ "realDelta": -100 }))), None);
    }

    #[test]
    fn tickets_open_and_close_by_their_status_moves() {
        assert_eq!(kpi_delta(&event("ticket.created", json!({}))).unwrap().open_tickets, 1);
        let done = event("ticket.status_changed", json!({ "from": "WAITING_CARRIER", "to": "COMPLETED" }));
        assert_eq!(kpi_delta(&done).unwrap().open_tickets, -1);
        let reopened = event("ticket.status_changed", json!({ "from": "CANCELLED", "to": "IN_PROGRESS" }));
        assert_eq!(kpi_delta(&reopened).unwrap().open_tickets, 1);
        let moved = event("ticket.status_changed", json!({ "from": "NEW", "to": "IN_PROGRESS" }));
        assert_eq!(kpi_delta(&moved), None);
        assert_eq!(
            kpi_delta(&event("ticket.completed", json!({ "from": "WAITING_CARRIER", "to": "COMPLETED" }))),
            None
        );
        assert_eq!(kpi_delta(&event("ticket.updated", json!({ "history": "OVERDUE" }))).unwrap().overdue_flagged, 1);
    }

    #[test]
    fn orders_count_while_their_status_counts() {
        let placed = event("order.created", json!({ "status": "DELIVERED", "amountMinor": 150000 }));
        let d = kpi_delta(&placed).unwrap();
        assert_eq!((d.orders, d.revenue), (1, 150000));
        assert_eq!(kpi_delta(&event("order.created", json!({ "status": "CANCELLED", "amountMinor": 9 }))), None);
        let returned =
            event("order.status_changed", json!({ "from": "DELIVERED", "to": "RETURNED", "amountMinor": 150000 }));
        let d = kpi_delta(&returned).unwrap();
        assert_eq!((d.orders, d.revenue), (-1, -150000));
        let shipped = event("order.status_changed", json!({ "from": "PENDING", "to": "DELIVERED", "amountMinor": 5 }));
        assert_eq!(kpi_delta(&shipped), None, "both count");
    }
}
