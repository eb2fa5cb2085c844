"""What a person typed, turned into a safe full-text match and its relevance order.

- PostgreSQL: ``products.search_vector @@ websearch_to_tsquery('simple', q)``
  (websearch syntax never raises), ranked by ``ts_rank_cd``; plain words also
  match the last one as a prefix.
- SQLite: the FTS5 table ``product_search`` is matched with a query built here
  from the words typed, each quoted and the last one a prefix, so no user
  syntax reaches FTS5; ranked by ``bm25`` (title and SKUs weigh most).

On both, a variant whose SKU equals the query (case-insensitive) ranks its
product first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from mall.catalog.models import Product, Variant

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_TERM_LENGTH = 64
_SKU_LIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_WORD = re.compile(r"[^\W_]+")
# Quotes, a leading minus or a lone "or": websearch_to_tsquery's syntax, taken as typed.
_WEBSEARCH_SYNTAX = re.compile(r"\"|(?:^|\s)-|(?:^|\s)or(?:\s|$)", re.I)
# bm25 weights by column of product_search: tenant_id, product_id (unindexed),
# title, body, skus, shop, category, tags.
_BM25 = "bm25(product_search, 0.0, 0.0, 10.0, 1.0, 10.0, 2.0, 2.0, 5.0)"


def clean_query(query: str | None) -> str:
    """What was typed, without control characters, trimmed to ``MAX_QUERY_LENGTH``."""
    text = "".join(ch for ch in (query or "") if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def query_terms(query: str) -> list[str]:
    """The words of a query (letters and digits), at most ``MAX_TERMS``."""
    return [w[:MAX_TERM_LENGTH] for w in _WORD.findall(query)][:MAX_TERMS]


def fts5_query(terms: Sequence[str]) -> str:
    """An FTS5 query: every word quoted (no FTS5 syntax), the last one a prefix."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    if quoted:
        quoted[-1] += "*"
    return " ".join(quoted)


def tsquery_prefix(terms: Sequence[str]) -> str:
    """A PostgreSQL ``to_tsquery`` text: every word quoted, all required, the last a prefix."""
    quoted = ["'" + t.replace("'", "''").replace("\\", "") + "'" for t in terms]
    if quoted:
        quoted[-1] += ":*"
    return " & ".join(quoted)


@dataclass(frozen=True)
class TextMatch:
    """How a text query narrows and ranks a listing on this database."""

    query: str
    terms: list[str]
    dialect: str
    tsquery_text: str | None = None  # PostgreSQL: the query as ``tsquery`` text (``resolve``)

    @classmethod
    def resolve(cls, query: str, terms: list[str], session: Session) -> TextMatch:
        """The match for ``session``'s database (on PostgreSQL, one query builds the tsquery)."""
        dialect = session.get_bind().dialect.name
        if dialect != "postgresql":
            return cls(query, terms, dialect)
        simple = sa.literal_column("'simple'::regconfig")
        # The index holds unaccented text, so the query is unaccented too.
        tsquery = sa.func.websearch_to_tsquery(simple, sa.func.unaccent(query))
        if not _WEBSEARCH_SYNTAX.search(query):
            # Plain words: also match the last one as a prefix (as typed so far).
            prefix = sa.func.unaccent(tsquery_prefix(terms))
            tsquery = tsquery.op("||")(sa.func.to_tsquery(simple, prefix))
        text = session.scalar(sa.select(sa.cast(tsquery, sa.Text)))
        return cls(query, terms, dialect, tsquery_text=text or "")

    def _sku_hit(self) -> sa.ColumnElement[bool] | None:
        if not _SKU_LIKE.match(self.query):
            return None
        return (
            sa.exists()
            .where(
                Variant.tenant_id == Product.tenant_id,
                Variant.product_id == Product.id,
                sa.func.lower(Variant.sku) == self.query.lower(),
            )
            .correlate(Product)
        )

    def apply(
        self, statement: sa.Select, *, ranked_only: bool = False
    ) -> tuple[sa.Select, list[sa.ColumnElement]]:
        """``statement`` narrowed to matches, and the ORDER BY terms for relevance.

        ``ranked_only``: the statement is already narrowed to matching candidates
        (PostgreSQL then only ranks them; SQLite joins the match for its rank).
        """
        order: list[sa.ColumnElement] = []
        sku_hit = self._sku_hit()
        if sku_hit is not None:
            # Only ranks: a SKU is in the full-text document too, so it already matches.
            order.append(sa.case((sku_hit, 0), else_=1))
        if self.dialect == "postgresql":
            # A constant, so the planner estimates the match and uses the GIN index.
            tsquery = sa.cast(sa.literal(self.tsquery_text or ""), TSQUERY)
            if not ranked_only:
                statement = statement.where(Product.search_vector.op("@@")(tsquery))
            order.append(sa.func.ts_rank_cd(Product.search_vector, tsquery).desc())
        else:
            fts = (
                sa.select(
                    sa.column("tenant_id"),
                    sa.column("product_id"),
                    sa.literal_column(_BM25).label("rank"),
                )
                .select_from(sa.table("product_search"))
                .where(
                    sa.text("product_search MATCH :fts_query").bindparams(
                        fts_query=fts5_query(self.terms)
                    )
                )
                .subquery("fts")
            )
            statement = statement.join(
                fts,
                sa.and_(fts.c.product_id == Product.id, fts.c.tenant_id == Product.tenant_id),
            )
            order.append(fts.c.rank.asc())
        return statement, order
