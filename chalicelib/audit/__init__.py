"""The audit trail: who did what in the admin area and the operations tools, written by every feature that acts
for an operator (admin, fraud invalidation, data rights), so it sits below all of them."""
