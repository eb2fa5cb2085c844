"""coupons

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 14:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mall_coupons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("percent", "fixed", name="couponkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("percent_bp", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "minimum_subtotal", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("times_used", sa.Integer(), nullable=False),
        sa.Column("category_ids", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("affiliate_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_mall_coupons_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mall_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_mall_coupons_code")),
    )
    op.create_table(
        "shop_coupons",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_ids", sa.JSON(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("percent", "fixed", name="couponkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("percent_bp", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "minimum_subtotal", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("times_used", sa.Integer(), nullable=False),
        sa.Column("category_ids", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("affiliate_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_shop_coupons_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shop_coupons")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_shop_coupons_tenant_id_code")),
    )
    op.enable_tenant_rls("shop_coupons")
    op.create_table(
        "mall_coupon_redemptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coupon_id", sa.Uuid(), nullable=False),
        sa.Column("checkout_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("email_index", sa.LargeBinary(length=32), nullable=True),
        sa.Column("amount", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "held", "used", "released", name="redemptionstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["mall_coupons.id"],
            name=op.f("fk_mall_coupon_redemptions_coupon_id_mall_coupons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mall_coupon_redemptions")),
        sa.UniqueConstraint(
            "coupon_id",
            "checkout_id",
            name=op.f("uq_mall_coupon_redemptions_coupon_id_checkout_id"),
        ),
    )
    with op.batch_alter_table("mall_coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mall_coupon_redemptions_checkout_id", ["checkout_id"], unique=False
        )

    op.create_table(
        "shop_coupon_redemptions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coupon_id", sa.Uuid(), nullable=False),
        sa.Column("checkout_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("email_index", sa.LargeBinary(length=32), nullable=True),
        sa.Column("amount", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "held", "used", "released", name="redemptionstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "coupon_id"],
            ["shop_coupons.tenant_id", "shop_coupons.id"],
            name=op.f("fk_shop_coupon_redemptions_tenant_id_coupon_id_shop_coupons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_shop_coupon_redemptions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shop_coupon_redemptions")),
        sa.UniqueConstraint(
            "tenant_id",
            "coupon_id",
            "checkout_id",
            name=op.f("uq_shop_coupon_redemptions_tenant_id_coupon_id_checkout_id"),
        ),
    )
    with op.batch_alter_table("shop_coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shop_coupon_redemptions_checkout_id", ["checkout_id"], unique=False
        )
    op.enable_tenant_rls("shop_coupon_redemptions")


def downgrade():
    with op.batch_alter_table("shop_coupon_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_shop_coupon_redemptions_checkout_id")

    op.drop_table("shop_coupon_redemptions")
    with op.batch_alter_table("mall_coupon_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_mall_coupon_redemptions_checkout_id")

    op.drop_table("mall_coupon_redemptions")
    op.drop_table("shop_coupons")
    op.drop_table("mall_coupons")
