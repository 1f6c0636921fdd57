"""reservations imports neither the waitlist nor the draw: they register into its hooks at app
init (booking/reservations/hooks.py). The behaviour is proven by the waitlist and draw tests
(a freed place serves the line, a pending draw refuses a first-come booking); this checks the
wiring itself."""

from booking.draw import services as draw_services
from booking.reservations import hooks
from booking.waitlist import serving


def test_the_app_registers_the_waitlist_and_the_draw(app):
    assert hooks._place_freed == [serving.serve_slot]
    assert hooks._slots_reopened == [serving.serve_facility]
    assert hooks._first_come_checks == [draw_services.refuse_while_draw_pending]


def test_registering_again_adds_nothing(app):
    hooks.on_place_freed(serving.serve_slot)
    hooks.on_slots_reopened(serving.serve_facility)
    hooks.on_first_come(draw_services.refuse_while_draw_pending)
    assert (len(hooks._place_freed), len(hooks._slots_reopened), len(hooks._first_come_checks)) == (1, 1, 1)
