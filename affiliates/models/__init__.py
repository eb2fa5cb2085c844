"""The affiliate program's tables (``docs/architecture.md`` §17)."""

from affiliates.models.accounts import Affiliate, AffiliateStatus, PayoutMethod
from affiliates.models.commissions import (
    AffiliateCommission,
    CommissionKind,
    CommissionStatus,
    Source,
)
from affiliates.models.payouts import (
    AffiliatePayout,
    AffiliatePayoutBatch,
    AffiliatePayoutStatus,
    BatchStatus,
)
from affiliates.models.terms import (
    AffiliateProductRate,
    AffiliateTerms,
    RateKind,
    ShopAffiliate,
    ShopAffiliateStatus,
)
from affiliates.models.tracking import (
    AffiliateClick,
    AffiliateDailyPage,
    AffiliateDailyStat,
    AgentClass,
)

__all__ = [
    "Affiliate",
    "AffiliateClick",
    "AffiliateCommission",
    "AffiliateDailyPage",
    "AffiliateDailyStat",
    "AffiliatePayout",
    "AffiliatePayoutBatch",
    "AffiliatePayoutStatus",
    "AffiliateProductRate",
    "AffiliateStatus",
    "AffiliateTerms",
    "AgentClass",
    "BatchStatus",
    "CommissionKind",
    "CommissionStatus",
    "PayoutMethod",
    "RateKind",
    "ShopAffiliate",
    "ShopAffiliateStatus",
    "Source",
]
