def test_home_page_renders_with_no_rounds(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"There is nothing to vote on just now" in response.data
