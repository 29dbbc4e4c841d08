"""Counting a page's queries (the list pages run a fixed number whatever the number of rows)."""


def count_queries(client, address, django_assert_max_num_queries, limit) -> int:
    """How many queries GET `address` runs (at most `limit`, or the test fails), the page a 200."""
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured)
