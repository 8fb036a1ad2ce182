// Package dialogs owns the conversation logic: plain functions that take a
// client's state and one event and return the new state and the effects
// (replies, posts for the coach, domain events). It knows no Telegram,
// Mattermost or Redis types; adapters turn those into Events at the edge
// and carry out the Effects.
package dialogs
