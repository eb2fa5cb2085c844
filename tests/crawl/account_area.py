"""The customer's account area (orders across shops, address book), the contact form and the
operator's inbox: outside any shop. Objects are the signed-in account's own (found by id *and*
account: another customer's id answers 404, see tests/mall/test_address_book.py) or the
operator's (operators only)."""

MALL_ROUTES = {
    "account_orders.orders",
    "address_book.addresses",
    "address_book.add_address",
    "address_book.edit_address",
    "address_book.delete_address",
    "address_book.make_default",
    "contact.contact",
    "contact_console.inbox",
    "contact_console.message",
    "contact_console.mark_handled",
}
