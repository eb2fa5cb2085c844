def test_home_page_lists_active_shops(client, make_shop):
    make_shop("open-shop", name="Open Shop")
    make_shop("waiting-shop", name="Waiting Shop", status="pending")
    page = client.get("/").get_data(as_text=True)
    assert "Open Shop" in page
    assert "Waiting Shop" not in page
