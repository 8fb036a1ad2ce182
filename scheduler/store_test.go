package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/store"
)

func TestMain(m *testing.M) { redistest.Main(m) }

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// reverseCodec stands in for encryption: stored bytes are not the text.
type reverseCodec struct{}

func (reverseCodec) Encode(b []byte) ([]byte, error) { return reversed(b), nil }
func (reverseCodec) Decode(b []byte) ([]byte, error) { return reversed(b), nil }

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

type env struct {
	rdb   *redis.Client
	st    *Store
	clock *fakeClock
	logs  *bytes.Buffer
	loc   *time.Location
}

func newEnv(t testing.TB, start time.Time, opt Options) *env {
	t.Helper()
	return newEnvOn(t, redistest.Client(t), start, opt)
}

func newEnvOn(t testing.TB, rdb *redis.Client, start time.Time, opt Options) *env {
	t.Helper()
	e := &env{rdb: rdb, clock: &fakeClock{t: start}, logs: &bytes.Buffer{}, loc: amsterdam(t)}
	opt.Location = e.loc
	opt.Clock = e.clock
	opt.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: e.logs}, nil))
	st, err := NewStore(e.rdb, opt)
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	return e
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// intake reads every due entry of every partition.
func (e *env) intake(t testing.TB) []Occurrence {
	t.Helper()
	var out []Occurrence
	for p := 0; p < store.Partitions; p++ {
		msgs, err := e.rdb.XRange(context.Background(), store.Partition(p).Intake(), "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Values[store.FieldType] != store.EntryDue {
				t.Fatalf("entry type %v", m.Values[store.FieldType])
			}
			body, err := e.st.codec.Decode([]byte(m.Values[store.FieldBody].(string)))
			if err != nil {
				t.Fatal(err)
			}
			var o Occurrence
			if err := json.Unmarshal(body, &o); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if m.Values[store.FieldClient] != o.ClientID {
				t.Fatalf("client field %v, body %v", m.Values[store.FieldClient], o.ClientID)
			}
			if store.PartitionOfClient(o.ClientID) != store.Partition(p) {
				t.Fatalf("occurrence of %s in partition %d", o.ClientID, p)
			}
			out = append(out, o)
		}
	}
	return out
}

// tickAll ticks every partition at now until nothing is due.
func (e *env) tickAll(t testing.TB, now time.Time) int {
	t.Helper()
	total := 0
	for p := 0; p < store.Partitions; p++ {
		for {
			n, read, err := e.st.tick(context.Background(), store.Partition(p), now, 50)
			if err != nil {
				t.Fatal(err)
			}
			total += n
			if read < 50 {
				break
			}
		}
	}
	return total
}

func (e *env) score(t testing.TB, clientID, id string) (time.Time, bool) {
	t.Helper()
	s, err := e.rdb.ZScore(context.Background(), store.PartitionOfClient(clientID).Due(), id).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return time.UnixMilli(int64(s)).In(e.loc), true
}

var testLoc, _ = time.LoadLocation("Europe/Amsterdam")

func fmtT(t time.Time) string { return t.In(testLoc).Format("2006-01-02 15:04 MST") }

func TestAddGetListRemoveWithCodec(t *testing.T) {
	loc := amsterdam(t)
	e := newEnv(t, time.Date(2026, 3, 27, 12, 0, 0, 0, loc), Options{Codec: reverseCodec{}})
	ctx := context.Background()
	a, err := e.st.Add(ctx, Schedule{ClientID: "c1", Kind: KindReminder, Spec: "elke dag om 8:00", Text: "Pillen innemen", Emoji: "💊"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.Spec != "0 8 * * *" || fmtT(a.Next) != "2026-03-28 08:00 CET" {
		t.Fatalf("added %+v", a)
	}
	b, err := e.st.Add(ctx, Schedule{ID: "bins", ClientID: "c1", Spec: "elke maandag en donderdag om 19:00", Text: "Container buiten zetten"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Add(ctx, Schedule{ID: "bins", ClientID: "c2", Spec: "8:00"}); !errors.Is(err, ErrOtherClient) && store.PartitionOfClient("c2") == store.PartitionOfClient("c1") {
		t.Errorf("id of another client: %v", err)
	}
	// Content is stored through the codec.
	raw, err := e.rdb.HGet(ctx, store.PartitionOfClient("c1").Schedule(a.ID), fContent).Result()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "Pillen") {
		t.Errorf("text stored without codec: %q", raw)
	}
	got, err := e.st.Get(ctx, "c1", a.ID)
	if err != nil || got.Text != "Pillen innemen" || got.Emoji != "💊" || !got.Next.Equal(a.Next) {
		t.Fatalf("get: %+v %v", got, err)
	}
	list, err := e.st.List(ctx, "c1")
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := e.st.Add(ctx, Schedule{ClientID: "c1", Spec: "elke dinsdagg"}); err == nil || !strings.Contains(err.Error(), "Probeer: elke dinsdag om 9:00") {
		t.Errorf("bad spec: %v", err)
	}
	if _, err := e.st.Add(ctx, Schedule{ClientID: "c{1}", Spec: "8:00"}); !errors.Is(err, ErrInvalidID) {
		t.Errorf("bad client id: %v", err)
	}
	if err := e.st.Remove(ctx, "c1", a.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Remove(ctx, "c1", a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
	if _, ok := e.score(t, "c1", a.ID); ok {
		t.Error("removed schedule still due")
	}
	if list, _ := e.st.List(ctx, "c1"); len(list) != 1 {
		t.Errorf("list after remove: %+v", list)
	}
	// The occurrence body passes the codec too.
	e.clock.Set(time.Date(2026, 3, 30, 19, 0, 0, 0, loc))
	if n := e.tickAll(t, e.clock.Now()); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	msgs, _ := e.rdb.XRange(ctx, store.PartitionOfClient("c1").Intake(), "-", "+").Result()
	if len(msgs) != 1 || strings.Contains(msgs[0].Values[store.FieldBody].(string), "Container") {
		t.Errorf("intake body not encoded: %v", msgs)
	}
	occ := e.intake(t)
	if len(occ) != 1 || occ[0].Text != "Container buiten zetten" || occ[0].ScheduleID != "bins" || occ[0].Late {
		t.Errorf("occurrence %+v", occ)
	}
}

func TestTickMovesToNext(t *testing.T) {
	loc := amsterdam(t)
	e := newEnv(t, time.Date(2026, 3, 27, 12, 0, 0, 0, loc), Options{})
	ctx := context.Background()
	sc, err := e.st.Add(ctx, Schedule{ID: "pil", ClientID: "c1", Spec: "elke dag om 8:00", Text: "pil"})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.tickAll(t, time.Date(2026, 3, 28, 7, 59, 59, 0, loc)); n != 0 {
		t.Fatalf("claimed %d before due", n)
	}
	now := time.Date(2026, 3, 28, 8, 0, 0, 0, loc)
	if n := e.tickAll(t, now); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	if n := e.tickAll(t, now); n != 0 {
		t.Fatalf("claimed again: %d", n)
	}
	next, ok := e.score(t, "c1", sc.ID)
	if !ok || fmtT(next) != "2026-03-29 08:00 CEST" {
		t.Fatalf("next %v %v", next, ok)
	}
	occ := e.intake(t)
	want := Occurrence{ID: "pil:" + fmt.Sprint(now.UnixMilli()) + ":0", ScheduleID: "pil", ClientID: "c1", Kind: KindReminder, Text: "pil"}
	if len(occ) != 1 || occ[0].ID != want.ID || occ[0].Kind != want.Kind || !occ[0].Due.Equal(now) || !occ[0].Nominal.Equal(now) || occ[0].Late {
		t.Fatalf("occurrence %+v", occ)
	}
}

func TestQuietHoursInStore(t *testing.T) {
	loc := amsterdam(t)
	e := newEnv(t, time.Date(2026, 3, 27, 12, 0, 0, 0, loc), Options{})
	ctx := context.Background()
	// 22:00 is in quiet hours: due at 08:00 the next morning; nominal kept.
	sc, err := e.st.Add(ctx, Schedule{ID: "late", ClientID: "c1", Spec: "elke dag om 22:00"})
	if err != nil {
		t.Fatal(err)
	}
	if fmtT(sc.Next) != "2026-03-28 08:00 CET" {
		t.Fatalf("due %v", fmtT(sc.Next))
	}
	if n := e.tickAll(t, time.Date(2026, 3, 27, 22, 0, 0, 0, loc)); n != 0 {
		t.Fatalf("sent in quiet hours: %d", n)
	}
	if n := e.tickAll(t, time.Date(2026, 3, 28, 8, 0, 0, 0, loc)); n != 1 {
		t.Fatalf("claimed %d at 08:00", n)
	}
	occ := e.intake(t)
	if fmtT(occ[0].Nominal) != "2026-03-27 22:00 CET" || fmtT(occ[0].Due) != "2026-03-28 08:00 CET" {
		t.Fatalf("occurrence %+v", occ[0])
	}
	// The next one is computed from the nominal time: 22:00 on the 28th,
	// due 08:00 on the 29th (CEST since 03:00 that night).
	if next, _ := e.score(t, "c1", "late"); fmtT(next) != "2026-03-29 08:00 CEST" {
		t.Fatalf("next due %v", fmtT(next))
	}

	// A late send after downtime that would land in quiet hours waits.
	if _, err := e.st.Add(ctx, Schedule{ID: "eve", ClientID: "c2", Spec: "elke dag om 20:50"}); err != nil {
		t.Fatal(err)
	}
	if n := e.tickAll(t, time.Date(2026, 3, 28, 21, 5, 0, 0, loc)); n != 0 {
		t.Fatalf("late send in quiet hours: %d", n)
	}
	if d, _ := e.score(t, "c2", "eve"); fmtT(d) != "2026-03-29 08:00 CEST" {
		t.Fatalf("deferred to %v", fmtT(d))
	}
	if n := e.tickAll(t, time.Date(2026, 3, 29, 8, 0, 0, 0, loc)); n != 2 {
		t.Fatalf("claimed %d at 08:00, want 2 (late, eve)", n)
	}
}

func TestGraceWindow(t *testing.T) {
	loc := amsterdam(t)
	start := time.Date(2026, 3, 27, 9, 0, 0, 0, loc)
	e := newEnv(t, start, Options{Grace: time.Hour, Quiet: &QuietHours{}})
	ctx := context.Background()
	if _, err := e.st.Add(ctx, Schedule{ID: "hourly", ClientID: "c1", Spec: "elk uur", Text: "GEHEIM"}); err != nil {
		t.Fatal(err)
	}
	// Down from 09:00 to 14:30: 10..13 are overdue more than an hour and
	// skipped; 14:00 is 30 minutes late and sent, marked late.
	now := time.Date(2026, 3, 27, 14, 30, 0, 0, loc)
	if n := e.tickAll(t, now); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	occ := e.intake(t)
	if len(occ) != 1 || fmtT(occ[0].Nominal) != "2026-03-27 14:00 CET" || !occ[0].Late {
		t.Fatalf("occurrences %+v", occ)
	}
	if next, _ := e.score(t, "c1", "hourly"); fmtT(next) != "2026-03-27 15:00 CET" {
		t.Fatalf("next %v", fmtT(next))
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "schedule=hourly") || !strings.Contains(logs, "skipped=4") {
		t.Errorf("skip not logged by id: %s", logs)
	}
	if strings.Contains(logs, "GEHEIM") {
		t.Errorf("text in logs: %s", logs)
	}
	// A day later: the hourly one sends its 15:00 (30 minutes late); a daily
	// 10:00 is 5.5 hours late, skipped, and moves on to tomorrow.
	if _, err := e.st.Add(ctx, Schedule{ID: "daily", ClientID: "c2", Spec: "elke dag om 10:00"}); err != nil {
		t.Fatal(err)
	}
	if n := e.tickAll(t, time.Date(2026, 3, 28, 15, 30, 0, 0, loc)); n != 1 {
		t.Fatalf("claimed %d after a day down, want 1", n)
	}
	if occ := e.intake(t); len(occ) != 2 || occ[1].ScheduleID != "hourly" && occ[0].ScheduleID != "hourly" {
		t.Fatalf("occurrences %+v", occ)
	}
	if next, _ := e.score(t, "c1", "hourly"); fmtT(next) != "2026-03-28 16:00 CET" {
		t.Fatalf("next %v", fmtT(next))
	}
	if next, _ := e.score(t, "c2", "daily"); fmtT(next) != "2026-03-29 10:00 CEST" {
		t.Fatalf("daily next %v", fmtT(next))
	}
}

func TestPauseResume(t *testing.T) {
	loc := amsterdam(t)
	e := newEnv(t, time.Date(2026, 3, 27, 12, 0, 0, 0, loc), Options{})
	ctx := context.Background()
	if _, err := e.st.Add(ctx, Schedule{ID: "pil", ClientID: "c1", Spec: "elke dag om 8:00"}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Pause(ctx, "c1", "pil"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Pause(ctx, "c1", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("pause unknown: %v", err)
	}
	if sc, _ := e.st.Get(ctx, "c1", "pil"); !sc.Paused || !sc.Next.IsZero() {
		t.Errorf("paused schedule %+v", sc)
	}
	for d := 28; d <= 30; d++ {
		if n := e.tickAll(t, time.Date(2026, 3, d, 9, 0, 0, 0, loc)); n != 0 {
			t.Fatalf("paused schedule sent on %d", d)
		}
	}
	e.clock.Set(time.Date(2026, 3, 30, 9, 0, 0, 0, loc))
	sc, err := e.st.Resume(ctx, "c1", "pil")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Paused || fmtT(sc.Next) != "2026-03-31 08:00 CEST" {
		t.Fatalf("resumed %+v", sc)
	}
	if n := e.tickAll(t, time.Date(2026, 3, 31, 8, 0, 0, 0, loc)); n != 1 {
		t.Fatalf("claimed %d after resume", n)
	}
	if occ := e.intake(t); len(occ) != 1 || fmtT(occ[0].Due) != "2026-03-31 08:00 CEST" {
		t.Fatalf("occurrences %+v", occ)
	}
}

func TestAppointmentReminders(t *testing.T) {
	loc := amsterdam(t)
	e := newEnv(t, time.Date(2026, 12, 1, 12, 0, 0, 0, loc), Options{})
	ctx := context.Background()
	sc, err := e.st.Add(ctx, Schedule{ID: "tandarts", ClientID: "c9", Kind: KindAppointment, Spec: "op 12 december om 14.30", Text: "Tandarts"})
	if err != nil {
		t.Fatal(err)
	}
	if fmtT(sc.Next) != "2026-12-11 14:30 CET" || len(sc.Before) != 2 {
		t.Fatalf("added %+v", sc)
	}
	for _, at := range []time.Time{
		time.Date(2026, 12, 11, 14, 30, 0, 0, loc),
		time.Date(2026, 12, 12, 13, 30, 0, 0, loc),
		time.Date(2026, 12, 13, 13, 30, 0, 0, loc),
	} {
		e.tickAll(t, at)
	}
	occ := e.intake(t)
	if len(occ) != 2 || fmtT(occ[0].Due) != "2026-12-11 14:30 CET" || occ[0].Before != 24*time.Hour ||
		fmtT(occ[1].Due) != "2026-12-12 13:30 CET" || occ[1].Before != time.Hour || fmtT(occ[1].Event) != "2026-12-12 14:30 CET" {
		t.Fatalf("occurrences %+v", occ)
	}
	// A finished one-off is gone.
	if _, err := e.st.Get(ctx, "c9", "tandarts"); !errors.Is(err, ErrNotFound) {
		t.Errorf("finished appointment still stored: %v", err)
	}
	if list, _ := e.st.List(ctx, "c9"); len(list) != 0 {
		t.Errorf("list %+v", list)
	}
	// An early appointment: the hour-before reminder would fall in quiet
	// hours and reach 08:00, after the 07:30 appointment: dropped.
	sc, err = e.st.Add(ctx, Schedule{ID: "bus", ClientID: "c9", Kind: KindAppointment, Spec: "op 20 december om 7:30"})
	if err != nil {
		t.Fatal(err)
	}
	e.tickAll(t, time.Date(2026, 12, 19, 7, 30, 0, 0, loc)) // day before: in quiet hours -> 08:00
	e.tickAll(t, time.Date(2026, 12, 19, 8, 0, 0, 0, loc))
	e.tickAll(t, time.Date(2026, 12, 21, 8, 0, 0, 0, loc))
	if occ := e.intake(t); len(occ) != 3 || fmtT(occ[2].Due) != "2026-12-19 08:00 CET" {
		t.Fatalf("occurrences %+v", occ)
	}
}

func TestScriptKeysShareSlot(t *testing.T) {
	for _, client := range []string{"c1", "anna", "42", "x-y"} {
		for _, set := range scriptKeys(client, "s1") {
			tag := store.PartitionOfClient(client).Tag()
			for _, k := range set {
				if !strings.HasPrefix(k, "wv:"+tag+":") {
					t.Errorf("key %q outside hash tag %s", k, tag)
				}
				if keySlot(k) != keySlot(set[0]) {
					t.Errorf("key %q in another slot than %q", k, set[0])
				}
			}
		}
	}
}

// keySlot is Redis Cluster's CRC16 slot of a key, honouring hash tags.
func keySlot(k string) uint16 {
	if i := strings.IndexByte(k, '{'); i >= 0 {
		if j := strings.IndexByte(k[i+1:], '}'); j > 0 {
			k = k[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(k); i++ {
		crc ^= uint16(k[i]) << 8
		for b := 0; b < 8; b++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % 16384
}
