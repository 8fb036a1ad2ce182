package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
)

// Partitions is the number of partitions. It is fixed at install: changing
// it moves every client to another partition.
const Partitions = 16

// Key layout. Every key starts with "wv:" and a hash tag in braces. All keys
// that one Lua script or MULTI touches share the tag, so the layout works on
// a single node, Sentinel and Cluster alike. Keys never hold raw user text;
// invite codes and the chat ids of strangers are keyed with an HMAC whose
// key (the server secret, SetSecret) never reaches Redis.
//
//	wv:{pNN}:in                  stream   intake: Telegram updates, due schedule items, coach replies
//	wv:{pNN}:dead                stream   entries set aside after repeated failures or because they did not open, content sealed, for an operator (capped)
//	wv:{pNN}:aside               hash     items set aside once ("update:<id>", "schedule:<id>") -> ms, see SetAside
//	wv:{pNN}:seen:<update>       string   update dedupe, TTL 48 h
//	wv:{pNN}:seen:<hash(id)>     string   dedupe of other work (coach posts), TTL 48 h
//	wv:{pNN}:fwd:<update>        string   dedupe of updates forwarded between partitions, TTL 48 h
//	wv:{pNN}:lease               string   which replica works this partition
//	wv:{pNN}:out:<lane>          stream   outbox per lane (u urgent, n normal, b bulk)
//	wv:{pNN}:coach               stream   posts waiting for the coach (Mattermost)
//	wv:{pNN}:ev                  stream   domain events (no message text), trimmed by age
//	wv:{pNN}:cl:<client>         hash     client profile, link and dialog state; "moods_at", "stopped_at" start retention clocks (Sweep)
//	wv:{pNN}:clients             set      client ids in this partition (listing without SCAN)
//	wv:{pNN}:link:<chat>         string   chat -> client, in the chat's partition
//	wv:{pNN}:strangers:<hour>    hash     per hour: messages ("m:<hmac(chat)>") and wrong invite codes ("f:<hmac(chat)>") of unlinked chats, capped, TTL 2 h
//	wv:{pNN}:inv:<hmac(code)>    hash     invite, in the code's partition, TTL; the client's "inv" field names its one live invite
//	wv:{pNN}:due                 zset     schedule occurrences by due time (scheduler)
//	wv:{pNN}:sched:<id>          hash     one schedule (scheduler)
//	wv:{pNN}:scl:<client>        set      schedule ids of one client (scheduler)
//	wv:{pNN}:alert:<id>          hash     a safety alert: client, severity, escalation steps, who picked it up; TTL Retention.Alerts from raise and from pick-up
//	wv:{pNN}:alerts              zset     open alerts by next escalation time
//	wv:{pNN}:audit               stream   audit log: escalations, acknowledgements (who, what, when), trimmed by age (Sweep, Retention.Audit)
//	wv:{pNN}:access              stream   access log (NEN 7513) of the partition's clients: HMAC-chained entries, client as a pseudonym, trimmed by age (package accesslog)
//	wv:{pNN}:access:head         string   the access log's last sequence number and MAC ("seq:mac"), compared inside the append script
//	wv:{pNN}:pending             zset     sent reminders waiting for ✅ Gedaan, by deadline ("client|occurrence")
//	wv:{pNN}:silence             zset     clients by the time their silence becomes a signal
//	wv:{pNN}:notice:<kind>:<client> string once-a-day marker for coach notices, TTL 24 h
//	wv:{pNN}:mmch:<channel>      string   Mattermost channel -> client, in the channel's partition
//	wv:{pNN}:verdict:<post>      hash     a coach's verdict on a client post: sealed words, classification, label; TTL
//	wv:{pNN}:verdicts            zset     Mattermost post ids with a verdict, by verdict time (trimmed to the retention)
//	wv:{pNN}:dk                  hash     client id -> its data key, wrapped by a key-encryption key (Sealer)
//	wv:{sys}:dk                  hash     "sys" -> the system data key, wrapped (Sealer)
//	wv:{sys}:aof                 string   lease of the replica that asked for the last AOF rewrite, TTL the interval
//	wv:{sys}:sweep               string   lease of the replica that ran the last retention sweep, TTL the interval
//	wv:{sys}:access, :access:head        the access log chain of accesses to no single client (keys rewrap)
//	wv:{inv}:fails:<window>      string   wrong invite codes of all chats in a 10-minute window, TTL
//	wv:{inv}:flood               string   marker: project leaders were told of an invite flood, TTL 1 h
//	wv:{rate}:g                  hash     bot-wide send bucket (package ratelimit), TTL
//	wv:{rate}:c:<hash(chat)>     hash     per-chat send bucket, TTL
//	wv:{rate}:429                string   bot-wide back-off after Telegram's 429, TTL
//	wv:{staff}:nohints           set      coaches (Mattermost user ids) who turned language tips off
//	wv:{poll}:lease              string   the one getUpdates poller per bot token
//	wv:{sys}:replicas            zset     live replicas by heartbeat time
//	wv:{cfg}:programme           string   the programme settings (YAML), shared by all replicas
//	wv:{cfg}:audit               stream   who changed which setting, before and after
//
// NN is two decimal digits. A client's partition is fixed by its client id,
// a chat's by its chat id, an invite's by its code.

// Partition is one of the fixed partitions, 0 <= p < Partitions.
type Partition int

// Tag returns the hash tag of the partition, for example "{p07}".
func (p Partition) Tag() string { return fmt.Sprintf("{p%02d}", int(p)) }

func (p Partition) key(rest string) string { return "wv:" + p.Tag() + ":" + rest }

// Intake is the stream every unit of work for the partition enters by.
func (p Partition) Intake() string { return p.key("in") }

// Seen is the dedupe key of a Telegram update.
func (p Partition) Seen(updateID int64) string {
	return p.key("seen:" + strconv.FormatInt(updateID, 10))
}

// SeenID is the dedupe key of work that is not a Telegram update, such as
// a coach's Mattermost post.
func (p Partition) SeenID(id string) string { return p.key("seen:" + hashed(id)) }

// Forwarded is the dedupe key of an update forwarded from another
// partition. It differs from Seen because the source may be this very
// partition, where Seen is already set.
func (p Partition) Forwarded(updateID int64) string {
	return p.key("fwd:" + strconv.FormatInt(updateID, 10))
}

// Dead holds entries set aside after repeated failures, or because their
// sealed content did not open, for an operator (capped).
func (p Partition) Dead() string { return p.key("dead") }

// Lease is the key that says which replica works this partition.
func (p Partition) Lease() string { return p.key("lease") }

// Outbox is the outbox stream of one lane.
func (p Partition) Outbox(l Lane) string { return p.key("out:" + string(l)) }

// CoachQueue is the stream of posts for coaches.
func (p Partition) CoachQueue() string { return p.key("coach") }

// Events is the domain event stream.
func (p Partition) Events() string { return p.key("ev") }

// Client is the hash of one client.
func (p Partition) Client(id string) string { return p.key("cl:" + id) }

// Clients is the index of client ids in this partition.
func (p Partition) Clients() string { return p.key("clients") }

// Link maps a chat to a client; it lives in the chat's partition.
func (p Partition) Link(chatID int64) string {
	return p.key("link:" + strconv.FormatInt(chatID, 10))
}

// Strangers holds, for one hour (window = unix hour), how many messages
// and wrong invite codes each unlinked chat sent, under an HMAC of the chat
// id (strangerField): the only thing kept about a stranger, and no way
// back to the chat from a copy of Redis.
func (p Partition) Strangers(window int64) string {
	return p.key("strangers:" + strconv.FormatInt(window, 10))
}

// Invite is the key of an invite code: an HMAC of the code with the server
// secret (a plain hash without one), so a copy of Redis yields no code.
func (p Partition) Invite(code string, secret []byte) string {
	return p.key("inv:" + keyed(secret, "invite:"+code))
}

// InviteFails counts the wrong invite codes of all chats in one window.
func InviteFails(window int64) string { return "wv:{inv}:fails:" + strconv.FormatInt(window, 10) }

// InviteFlood marks that project leaders were told of an invite flood.
const InviteFlood = "wv:{inv}:flood"

// keyed is the HMAC of s with secret, or a plain hash without a secret
// (tests, tools that never share keys with serve).
func keyed(secret []byte, s string) string {
	if len(secret) == 0 {
		return hashed(s)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Due is the sorted set of schedule occurrences, scored by due time.
func (p Partition) Due() string { return p.key("due") }

// Schedule is the hash of one schedule.
func (p Partition) Schedule(id string) string { return p.key("sched:" + id) }

// ClientSchedules is the set of schedule ids of one client.
func (p Partition) ClientSchedules(clientID string) string { return p.key("scl:" + clientID) }

// Alert is the hash of one safety alert.
func (p Partition) Alert(id string) string { return p.key("alert:" + id) }

// Alerts is the sorted set of open alerts by next escalation time.
func (p Partition) Alerts() string { return p.key("alerts") }

// Audit is the partition's audit log stream.
func (p Partition) Audit() string { return p.key("audit") }

// Pending holds sent reminders waiting for an answer, by deadline.
func (p Partition) Pending() string { return p.key("pending") }

// Silence holds clients by the time their silence becomes a signal.
func (p Partition) Silence() string { return p.key("silence") }

// Channel maps a Mattermost channel to its client.
func (p Partition) Channel(channelID string) string { return p.key("mmch:" + channelID) }

// Verdict is the hash of a coach's verdict on the client post postID; it
// lives in the client's partition.
func (p Partition) Verdict(postID string) string { return p.key("verdict:" + postID) }

// Verdicts indexes the partition's verdicts by time.
func (p Partition) Verdicts() string { return p.key("verdicts") }

// DataKeys holds the wrapped data keys of the partition's clients.
func (p Partition) DataKeys() string { return p.key("dk") }

// Access is the partition's access log chain (package accesslog), and
// AccessHead its last sequence number and MAC.
func (p Partition) Access() string     { return p.key("access") }
func (p Partition) AccessHead() string { return p.key("access:head") }

// SystemAccess and SystemAccessHead are the access log chain of accesses
// to no single client.
const (
	SystemAccess     = "wv:{sys}:access"
	SystemAccessHead = "wv:{sys}:access:head"
)

// PartitionOfChannel returns the partition of a Mattermost channel id.
func PartitionOfChannel(channelID string) Partition { return partitionOf("m:" + channelID) }

// PollLease is the global key of the one getUpdates poller.
const PollLease = "wv:{poll}:lease"

// Programme holds the project leader's settings (YAML) shared by all
// replicas, and ProgrammeAudit the log of their changes.
const (
	Programme      = "wv:{cfg}:programme"
	ProgrammeAudit = "wv:{cfg}:audit"
)

// Replicas is the global set of live replicas.
const Replicas = "wv:{sys}:replicas"

// SystemDataKeys holds the wrapped system data key, and AOFLease says when
// the last AOF rewrite was asked for.
const (
	SystemDataKeys = "wv:{sys}:dk"
	AOFLease       = "wv:{sys}:aof"
	// SweepLease says which replica ran the last retention sweep.
	SweepLease = "wv:{sys}:sweep"
)

// Lane is an outbox lane.
type Lane string

// Lanes, in the order a sender serves them.
const (
	LaneUrgent Lane = "u"
	LaneNormal Lane = "n"
	LaneBulk   Lane = "b"
)

// Lanes lists all lanes, most urgent first.
var Lanes = []Lane{LaneUrgent, LaneNormal, LaneBulk}

// PartitionOfClient returns the fixed partition of a client id.
func PartitionOfClient(clientID string) Partition { return partitionOf("c:" + clientID) }

// PartitionOfChat returns the partition of a Telegram chat, used for
// strangers and for the chat -> client link.
func PartitionOfChat(chatID int64) Partition {
	return partitionOf("t:" + strconv.FormatInt(chatID, 10))
}

// PartitionOfCode returns the partition of an invite code.
func PartitionOfCode(code string) Partition { return partitionOf("i:" + code) }

func partitionOf(s string) Partition {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return Partition(h.Sum32() % Partitions)
}

func hashed(s string) string {
	sum := sha256.Sum256([]byte("waakvlam:" + s))
	return hex.EncodeToString(sum[:12])
}
