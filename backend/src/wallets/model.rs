//! Wallet, ledger and virtual-credit entities, and their enums.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a ledger row records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionType {
    /// Money in, to the real balance.
    #[sea_orm(string_value = "DEPOSIT")]
    Deposit,
    /// Money out: virtual credits first (earliest expiry first), then real.
    #[sea_orm(string_value = "WITHDRAW")]
    Withdraw,
    /// A virtual credit granted by the shop.
    #[sea_orm(string_value = "CREDIT_ISSUED")]
    CreditIssued,
    /// What was left of a virtual credit when it expired.
    #[sea_orm(string_value = "CREDIT_EXPIRED")]
    CreditExpired,
    /// A correction of the real balance by a manager, with a reason.
    #[sea_orm(string_value = "ADJUSTMENT")]
    Adjustment,
    /// A deposit taken back (a bank transfer unlinked from the customer).
    #[sea_orm(string_value = "REVERSAL")]
    Reversal,
    #[sea_orm(string_value = "POINTS_EARNED")]
    PointsEarned,
    #[sea_orm(string_value = "POINTS_REDEEMED")]
    PointsRedeemed,
    /// Everything this wallet held (real, each virtual credit, points),
    /// moved to the wallet of the customer it was merged into.
    #[sea_orm(string_value = "MERGED_OUT")]
    MergedOut,
    /// What a merged duplicate's wallet held, received; its virtual
    /// credits arrive as new credits with their original expiry.
    #[sea_orm(string_value = "MERGED_IN")]
    MergedIn,
}

impl TransactionType {
    /// The event kind published for this movement (`wallet.deposited`, …).
    pub fn event_kind(self) -> &'static str {
        match self {
            Self::Deposit => "wallet.deposited",
            Self::Withdraw => "wallet.withdrawn",
            Self::CreditIssued => "wallet.credit_issued",
            Self::CreditExpired => "wallet.credit_expired",
            Self::Adjustment => "wallet.adjusted",
            Self::Reversal => "wallet.reversed",
            Self::PointsEarned => "wallet.points_earned",
            Self::PointsRedeemed => "wallet.points_redeemed",
            Self::MergedOut => "wallet.merged_out",
            Self::MergedIn => "wallet.merged_in",
        }
    }
}

/// Where money came from or what a movement is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WalletSource {
    #[sea_orm(string_value = "BANK_TRANSFER")]
    BankTransfer,
    #[sea_orm(string_value = "MANUAL")]
    Manual,
    #[sea_orm(string_value = "REFUND")]
    Refund,
    #[sea_orm(string_value = "ADJUSTMENT")]
    Adjustment,
    #[sea_orm(string_value = "TICKET")]
    Ticket,
    #[sea_orm(string_value = "ORDER")]
    Order,
    #[sea_orm(string_value = "PROMOTION")]
    Promotion,
    /// The server itself (credit expiry).
    #[sea_orm(string_value = "SYSTEM")]
    System,
}

/// Life of a virtual credit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CreditStatus {
    /// Spendable until it expires.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Spent to the last unit.
    #[sea_orm(string_value = "USED")]
    Used,
    /// Expired with something left (the ledger row says how much).
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    /// Moved, with its expiry, to the wallet of the customer this one was
    /// merged into (the MERGED_OUT ledger row names the new credit).
    #[sea_orm(string_value = "MERGED")]
    Merged,
}

pub mod wallet {
    //! A customer's wallet: the current balances, kept equal to the sum of
    //! the ledger by writing both in one transaction.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "wallets")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub customer_id: i64,
        /// Money the customer paid in, in minor units.
        pub real_balance: i64,
        /// Sum of the active virtual credits, in minor units.
        pub virtual_balance: i64,
        /// Loyalty points.
        pub points: i64,
        pub total_deposited: i64,
        pub total_withdrawn: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod transaction {
    //! One immutable ledger row.
    use sea_orm::entity::prelude::*;

    use super::{TransactionType, WalletSource};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "wallet_transactions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `TRX-20261121-000123`.
        #[sea_orm(unique)]
        pub code: String,
        pub wallet_id: i64,
        pub customer_id: i64,
        pub kind: TransactionType,
        /// Money moved (minor units), or points for the points types.
        pub amount: i64,
        pub real_before: i64,
        pub real_after: i64,
        pub virtual_before: i64,
        pub virtual_after: i64,
        pub points_before: i64,
        pub points_after: i64,
        pub source: Option<WalletSource>,
        pub reference: Option<String>,
        pub note: Option<String>,
        /// The credits a movement touched: `[{"creditId": 1, "amount": 500}]`.
        pub credits: Option<Json>,
        pub actor: String,
        #[sea_orm(unique)]
        pub idempotency_key: Option<String>,
        /// SHA-256 of the request that carried the idempotency key.
        pub request_hash: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod credit {
    //! A virtual credit granted by the shop.
    use sea_orm::entity::prelude::*;

    use super::{CreditStatus, WalletSource};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "virtual_credits")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub wallet_id: i64,
        pub customer_id: i64,
        pub amount: i64,
        /// What is left to spend (0 once used or expired).
        pub remaining: i64,
        pub status: CreditStatus,
        pub reason: String,
        pub source: WalletSource,
        /// The ticket, campaign … that granted it.
        pub source_ref: Option<String>,
        pub expires_at: DateTimeUtc,
        /// The CREDIT_ISSUED ledger row.
        pub issued_transaction_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
