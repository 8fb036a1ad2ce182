// Package store encapsulates the interactions with Redis: the key layout
// (keys.go), the intake, outbox and coach streams, client records, invites,
// leases and domain events. It is the only package that speaks Redis
// commands; multi-step changes are Lua scripts next to the method that runs
// them, and every key a script touches is passed in KEYS and shares one
// partition hash tag.
//
// Client content passes the store's Codec on its way in and out, bound to
// the client and the key and field it is stored under (SealAt, OpenAt).
// serve's codec is the Sealer (sealer.go): encryption at rest under a data
// key per client, wrapped by the configured key-encryption keys.
package store
