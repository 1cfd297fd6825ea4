// Intentionally empty: the adder tree now lives in mac_row.v. This file only keeps build
// trees configured before that change regenerating by themselves (their build.ninja still
// lists it as a configure dependency); it is not a Verilator source. Delete it once every
// build tree has been reconfigured.
