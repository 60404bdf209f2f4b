//! Analytics (DESIGN 4.8). For now: the live dashboard, as KPI deltas
//! derived from the domain events ([`service::kpi_delta`]), and the
//! figures they move ([`kpis::snapshot`]); the other dashboard queries,
//! RFM and the derived customer fields come with the analytics issue.

pub mod dashboard;
pub mod fraud;
pub mod graphql;
pub mod kpis;
pub mod rfm;
pub mod service;
