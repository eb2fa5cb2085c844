"""The mall's category tree, managed by operators.

Categories are a platform table: a node has a parent (or none, at the top), a
unique slug and a position among its siblings. Plain functions that flush and
never commit; an invalid request raises ``CategoryError`` with a message for the
operator. Every change writes one audit event; a request that changes nothing
(the same values again, a move past the end, deleting a deleted node) writes
none and returns False.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.errors import CatalogError
from mall.catalog.models import Category, Product
from mall.extensions import db
from mall.signals import category_renamed
from tenants.audit import record_audit
from tenants.context import all_tenants

MAX_NAME = 100
MAX_SLUG = 100
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CategoryError(CatalogError):
    """A category request that cannot be carried out; the message says why."""


@dataclass
class CategoryNode:
    """A category with its children (ordered by position), as the tree shows it."""

    category: Category
    depth: int = 0
    children: list[CategoryNode] = field(default_factory=list)

    @property
    def id(self) -> UUID:
        return self.category.id

    @property
    def name(self) -> str:
        return self.category.name

    @property
    def slug(self) -> str:
        return self.category.slug

    def walk(self) -> Iterator[CategoryNode]:
        """This node, then every descendant, depth first in tree order."""
        yield self
        for child in self.children:
            yield from child.walk()


# ---------------------------------------------------------------- reads


def _ordered() -> sa.Select:
    return sa.select(Category).order_by(Category.position, Category.name, Category.id)


def category_tree() -> list[CategoryNode]:
    """Every category as nested nodes, siblings by position (one query)."""
    nodes: dict[UUID, CategoryNode] = {}
    categories = list(db.session.scalars(_ordered()))
    for category in categories:
        nodes[category.id] = CategoryNode(category)
    roots: list[CategoryNode] = []
    for category in categories:
        parent = nodes.get(category.parent_id) if category.parent_id else None
        (parent.children if parent else roots).append(nodes[category.id])

    def set_depth(node: CategoryNode, depth: int) -> None:
        node.depth = depth
        for child in node.children:
            set_depth(child, depth + 1)

    for root in roots:
        set_depth(root, 0)
    return roots


def flatten(tree: list[CategoryNode]) -> list[CategoryNode]:
    """The tree as a list in display order (each node knows its depth)."""
    return [node for root in tree for node in root.walk()]


def descendants(category_id: UUID) -> list[UUID]:
    """The ids of every category below ``category_id`` (not itself), in one query."""
    below = (
        sa.select(Category.id.label("id"))
        .where(Category.parent_id == category_id)
        .cte("below", recursive=True)
    )
    below = below.union_all(sa.select(Category.id).where(Category.parent_id == below.c.id))
    return list(db.session.scalars(sa.select(below.c.id)))


def get_category(category_id: UUID | str) -> Category | None:
    """A category by id, or None."""
    try:
        key = category_id if isinstance(category_id, UUID) else UUID(str(category_id))
    except ValueError:
        return None
    return db.session.get(Category, key)


def product_counts(category_ids: list[UUID] | None = None) -> dict[UUID, int]:
    """How many products (of every shop, any status) each category holds."""
    query = (
        sa.select(Product.category_id, sa.func.count())
        .where(Product.category_id.is_not(None))
        .group_by(Product.category_id)
    )
    if category_ids is not None:
        if not category_ids:
            return {}
        query = query.where(Product.category_id.in_(category_ids))
    with all_tenants("operator: products per category"):
        return {category_id: count for category_id, count in db.session.execute(query)}


# ---------------------------------------------------------------- checks


def _clean(name: str, slug: str) -> tuple[str, str]:
    name = " ".join((name or "").split())
    slug = (slug or "").strip()
    if not name:
        raise CategoryError("Enter a name.")
    if len(name) > MAX_NAME:
        raise CategoryError(f"Use at most {MAX_NAME} characters for the name.")
    if not slug or len(slug) > MAX_SLUG or not SLUG_PATTERN.match(slug):
        raise CategoryError(
            "Use lower-case letters, digits and single hyphens for the address (e.g. garden-tools)."
        )
    return name, slug


def _check_slug_free(slug: str, *, other_than: UUID | None = None) -> None:
    query = sa.select(Category.name).where(Category.slug == slug)
    if other_than is not None:
        query = query.where(Category.id != other_than)
    taken_by = db.session.scalar(query)
    if taken_by is not None:
        raise CategoryError(f"The address “{slug}” is already used by “{taken_by}”.")


def _parent(parent_id: UUID | None) -> Category | None:
    if parent_id is None:
        return None
    parent = get_category(parent_id)
    if parent is None:
        raise CategoryError("Choose an existing parent category.")
    return parent


def _next_position(parent_id: UUID | None) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(Category.position)).where(_siblings_of(parent_id))
    )
    return 0 if last is None else last + 1


def _siblings_of(parent_id: UUID | None) -> sa.ColumnElement[bool]:
    return Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id


# ---------------------------------------------------------------- writes


def create_category(
    *,
    name: str,
    slug: str,
    parent_id: UUID | None = None,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> tuple[Category, bool]:
    """A new category at the end of its siblings; (the category, True).

    Sending the same name, slug and parent again (a double submit) returns the
    existing category and False.
    """
    name, slug = _clean(name, slug)
    existing = db.session.scalar(sa.select(Category).where(Category.slug == slug))
    if existing is not None and existing.name == name and existing.parent_id == parent_id:
        return existing, False
    _check_slug_free(slug)
    parent = _parent(parent_id)
    category = Category(
        name=name,
        slug=slug,
        parent_id=parent.id if parent else None,
        position=_next_position(parent_id),
    )
    db.session.add(category)
    db.session.flush()
    record_audit(
        "category.created",
        actor_id=actor_id,
        target_type="category",
        target_id=category.id,
        details={
            "name": name,
            "slug": slug,
            "parent": parent.slug if parent else None,
        },
        ip_address=ip_address,
    )
    return category, True


def update_category(
    category: Category,
    *,
    name: str,
    slug: str,
    parent_id: UUID | None,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Rename, re-address or re-parent a category; False when nothing changes.

    A category cannot go under itself or one of its descendants. Moved to
    another parent, it goes to the end of its new siblings.
    """
    name, slug = _clean(name, slug)
    if slug != category.slug:
        _check_slug_free(slug, other_than=category.id)
    if parent_id is not None and parent_id == category.id:
        raise CategoryError(f"“{category.name}” cannot be its own parent.")
    parent = _parent(parent_id)
    if parent is not None and parent.id in set(descendants(category.id)):
        raise CategoryError(
            f"“{category.name}” cannot go under “{parent.name}”, which is inside it."
        )
    changes: dict[str, dict[str, str | None]] = {}
    if name != category.name:
        changes["name"] = {"from": category.name, "to": name}
    if slug != category.slug:
        changes["slug"] = {"from": category.slug, "to": slug}
    if parent_id != category.parent_id:
        old_parent = get_category(category.parent_id) if category.parent_id else None
        changes["parent"] = {
            "from": old_parent.slug if old_parent else None,
            "to": parent.slug if parent else None,
        }
    if not changes:
        return False
    if "parent" in changes:
        old_parent_id = category.parent_id
        category.position = _next_position(parent_id)
        category.parent_id = parent_id
        db.session.flush()
        _renumber(old_parent_id)
    category.name = name
    category.slug = slug
    db.session.flush()
    if "name" in changes:
        category_renamed.send(category)
    record_audit(
        "category.updated",
        actor_id=actor_id,
        target_type="category",
        target_id=category.id,
        details=changes,
        ip_address=ip_address,
    )
    return True


def _siblings(parent_id: UUID | None) -> list[Category]:
    return list(db.session.scalars(_ordered().where(_siblings_of(parent_id))))


def _renumber(parent_id: UUID | None) -> list[Category]:
    """Positions 0, 1, 2… among siblings, in their current order; returns them."""
    siblings = _siblings(parent_id)
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
    return siblings


def move_category(
    category: Category,
    direction: str,
    *,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Swap a category with its previous (``up``) or next (``down``) sibling.

    False when it is already first (up) or last (down).
    """
    if direction not in ("up", "down"):
        raise CategoryError("Move a category up or down.")
    siblings = _renumber(category.parent_id)
    index = next(n for n, sibling in enumerate(siblings) if sibling.id == category.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        db.session.flush()
        return False
    neighbour = siblings[other]
    category.position, neighbour.position = neighbour.position, category.position
    db.session.flush()
    record_audit(
        "category.moved",
        actor_id=actor_id,
        target_type="category",
        target_id=category.id,
        details={"direction": direction, "from": index, "to": other},
        ip_address=ip_address,
    )
    return True


def delete_category(
    category_id: UUID,
    *,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Delete an empty category; False when it is already gone.

    Refused while it has sub-categories or any shop has a product in it.
    """
    category = get_category(category_id)
    if category is None:
        return False
    children = db.session.scalar(
        sa.select(sa.func.count()).select_from(Category).where(Category.parent_id == category.id)
    )
    if children:
        raise CategoryError(
            f"“{category.name}” has {children} sub-categor{'y' if children == 1 else 'ies'}: "
            "move or delete them first."
        )
    products = product_counts([category.id]).get(category.id, 0)
    if products:
        raise CategoryError(
            f"“{category.name}” holds {products} product{'' if products == 1 else 's'}: "
            "shops must move them to another category first."
        )
    details = {"name": category.name, "slug": category.slug}
    parent_id = category.parent_id
    db.session.delete(category)
    db.session.flush()
    _renumber(parent_id)
    db.session.flush()
    record_audit(
        "category.deleted",
        actor_id=actor_id,
        target_type="category",
        target_id=category_id,
        details=details,
        ip_address=ip_address,
    )
    return True
