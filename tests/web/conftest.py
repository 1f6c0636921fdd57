import pytest


@pytest.fixture(params=["sqlite"])
def backend(request):
    """Web-layer tests run on SQLite; the database behaviour is covered on both in services/."""
    return request.param
