"""The demo data (``make run``) shows each kind with its details: a show with its venue and
performances, a flight with its route and times, a property with its address and time zone."""

from __future__ import annotations

from interfaces.demo import load_demo
from tests.e2e.conftest import Api, World


async def test_the_demo_listings_carry_their_kinds_details(world: World) -> None:
    key, created = await load_demo(world.container)
    assert created
    demo = Api(world.client, key, world.clock)
    items = (await demo.get("/v1/listings")).json()["items"]
    details = {item["kind"]: item["details"] for item in items}
    assert details["event_show"]["venue"].startswith("Coliseu")
    assert [p["code"] for p in details["event_show"]["performances"]] == ["opening", "matinee"]
    assert (details["flight"]["origin"], details["flight"]["destination"]) == ("LIS", "AMS")
    assert details["flight"]["flight_number"] == "HF101"
    assert details["stay_property"]["time_zone"] == "Europe/Lisbon"
    assert (details["stay_property"]["check_in"], details["stay_property"]["check_out"]) == ("15:00", "11:00")
    flights = (await demo.get("/v1/listings", params={"q": "lis-ams"})).json()["items"]
    assert [item["kind"] for item in flights] == ["flight"]
