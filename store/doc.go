// Package store encapsulates the interactions with Redis: the key layout
// (keys.go), the intake, outbox and coach streams, client records, invites,
// leases and domain events. It is the only package that speaks Redis
// commands; multi-step changes are Lua scripts next to the method that runs
// them, and every key a script touches is passed in KEYS and shares one
// partition hash tag.
package store
