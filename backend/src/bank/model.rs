//! The bank-transfer entity and its enums.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Money coming in to the shop's account, or going out of it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(name = "TransferDirection")]
pub enum Direction {
    /// Paid in (SePay `transferType: "in"`): matched and deposited.
    #[sea_orm(string_value = "IN")]
    In,
    /// Paid out (`"out"`): stored for the record, never matched.
    #[sea_orm(string_value = "OUT")]
    Out,
}

/// Where a transfer stands with respect to a customer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(name = "BankTransferStatus")]
pub enum TransferStatus {
    /// Belongs to a customer (and, normally, was deposited into their wallet).
    #[sea_orm(string_value = "LINKED")]
    Linked,
    /// Several customers could be meant: a person chooses.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Nothing in the content points to a customer (or it was unlinked, or
    /// it is an outgoing transfer).
    #[sea_orm(string_value = "UNLINKED")]
    Unlinked,
}

impl TransferStatus {
    /// Upper-case name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linked => "LINKED",
            Self::Pending => "PENDING",
            Self::Unlinked => "UNLINKED",
        }
    }
}

/// How a linked transfer found its customer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(name = "BankTransferMatchMethod")]
pub enum MatchMethod {
    /// The customer's transfer code (`N2000123`) was in the content.
    #[sea_orm(string_value = "TRANSFER_CODE")]
    TransferCode,
    /// Exactly one phone number was in the content.
    #[sea_orm(string_value = "PHONE")]
    Phone,
    /// A member of staff chose the customer.
    #[sea_orm(string_value = "MANUAL")]
    Manual,
}

pub mod bank_transfer {
    //! One transfer reported by the bank's webhook, stored once per
    //! provider id.
    use sea_orm::entity::prelude::*;

    use super::{Direction, MatchMethod, TransferStatus};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "bank_transfers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The provider's id of the transaction (SePay `id`); unique.
        #[sea_orm(unique)]
        pub provider_id: String,
        /// The bank (`Vietcombank`).
        pub gateway: Option<String>,
        /// The shop's account the money moved on.
        pub account_number: Option<String>,
        pub direction: Direction,
        /// Minor units, always positive.
        pub amount: i64,
        /// What the payer wrote.
        pub content: String,
        /// The bank's reference (`MBVCB.3278907687`).
        pub reference_code: Option<String>,
        /// When the bank says it happened.
        pub transferred_at: DateTimeUtc,
        /// When the webhook reached us.
        pub received_at: DateTimeUtc,
        pub status: TransferStatus,
        pub match_method: Option<MatchMethod>,
        /// Phones (E.164) a PENDING transfer could belong to: JSON array.
        pub candidates: Json,
        pub customer_id: Option<i64>,
        /// The DEPOSIT ledger row, when the amount went into the wallet.
        pub deposit_transaction_id: Option<i64>,
        /// `user:1`, `apikey:3` or `system` (matched on arrival).
        pub linked_by: Option<String>,
        pub linked_at: Option<DateTimeUtc>,
        /// The webhook body as received.
        pub raw: Json,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// The candidate phones as strings.
        pub fn candidate_phones(&self) -> Vec<String> {
            serde_json::from_value(self.candidates.clone()).unwrap_or_default()
        }
    }
}
