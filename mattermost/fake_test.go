package mattermost

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost-server/v6/model"
)

// fakeMM is a small in-memory Mattermost: the REST endpoints this package
// uses and a WebSocket that authenticates, says hello and pushes "posted"
// events.
type fakeMM struct {
	t     *testing.T
	srv   *httptest.Server
	token string
	botID string

	mu          sync.Mutex
	clock       int64 // create_at of the next post, in ms
	posts       []*model.Post
	files       map[string]fakeFile
	reactions   []*model.Reaction
	channels    map[string]*model.Channel // by id
	members     map[string]map[string]bool
	commands    map[string]*model.Command
	sockets     map[*fakeSocket]bool
	connects    int
	pageCalls   int
	failStatus  int // when set, every REST call answers with it
	maxFileSize int
	// pending: pending_post_id -> post id ("" while it is being saved),
	// deduplicated as Mattermost 6.7.2 does; slowPosts: that many next
	// creates save the post but answer only after postDelay (the answer is
	// lost to a client with a shorter timeout).
	pending   map[string]string
	slowPosts int
	postDelay time.Duration
}

type fakeFile struct {
	info *model.FileInfo
	data []byte
}

type fakeSocket struct {
	mu   sync.Mutex
	conn *websocket.Conn
}

func (s *fakeSocket) write(v any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn.WriteJSON(v)
}

func newFakeMM(t *testing.T) *fakeMM {
	f := &fakeMM{
		t:           t,
		token:       "bot-token",
		botID:       model.NewId(),
		clock:       1_700_000_000_000,
		files:       map[string]fakeFile{},
		channels:    map[string]*model.Channel{},
		members:     map[string]map[string]bool{},
		commands:    map[string]*model.Command{},
		sockets:     map[*fakeSocket]bool{},
		maxFileSize: 1 << 20,
	}
	mux := http.NewServeMux()
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if !strings.EqualFold(r.Header.Get("Authorization"), "Bearer "+f.token) {
				f.fail(w, http.StatusUnauthorized, "api.context.session_expired.app_error")
				return
			}
			f.mu.Lock()
			status := f.failStatus
			f.mu.Unlock()
			if status != 0 {
				f.fail(w, status, "fake.failure")
				return
			}
			h(w, r)
		})
	}
	api("GET /api/v4/users/me", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, 200, &model.User{Id: f.botID, Username: "waakvlam-bot"})
	})
	api("GET /api/v4/teams/name/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, 200, &model.Team{Id: "team-" + r.PathValue("name"), Name: r.PathValue("name")})
	})
	api("GET /api/v4/users/username/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.fail(w, 404, "app.user.missing_account.const")
	})
	api("GET /api/v4/teams/{team}/channels/name/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, ch := range f.channels {
			if ch.TeamId == r.PathValue("team") && ch.Name == r.PathValue("name") {
				f.reply(w, 200, ch)
				return
			}
		}
		f.fail(w, 404, "app.channel.get_by_name.missing.app_error")
	})
	api("POST /api/v4/channels", func(w http.ResponseWriter, r *http.Request) {
		var ch model.Channel
		f.decode(r, &ch)
		f.mu.Lock()
		defer f.mu.Unlock()
		ch.Id = model.NewId()
		f.channels[ch.Id] = &ch
		f.members[ch.Id] = map[string]bool{f.botID: true}
		f.reply(w, 201, &ch)
	})
	api("POST /api/v4/channels/{id}/members/ids", func(w http.ResponseWriter, r *http.Request) {
		var ids []string
		f.decode(r, &ids)
		f.mu.Lock()
		defer f.mu.Unlock()
		out := model.ChannelMembers{}
		for _, id := range ids {
			if f.members[r.PathValue("id")][id] {
				out = append(out, model.ChannelMember{ChannelId: r.PathValue("id"), UserId: id})
			}
		}
		f.reply(w, 200, out)
	})
	api("POST /api/v4/channels/{id}/members", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		f.decode(r, &body)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.members[r.PathValue("id")][body["user_id"]] = true
		f.reply(w, 201, &model.ChannelMember{ChannelId: r.PathValue("id"), UserId: body["user_id"]})
	})
	api("DELETE /api/v4/channels/{id}/members/{user}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.members[r.PathValue("id")], r.PathValue("user"))
		f.reply(w, 200, map[string]string{"status": "OK"})
	})
	api("POST /api/v4/files", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			f.fail(w, 400, "api.file.upload_file.bad_parse.app_error")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		res := &model.FileUploadResponse{}
		for _, fh := range r.MultipartForm.File["files"] {
			if int(fh.Size) > f.maxFileSize {
				f.fail(w, 413, "api.file.upload_file.too_large_detailed.app_error")
				return
			}
			rd, _ := fh.Open()
			data, _ := io.ReadAll(rd)
			rd.Close()
			info := &model.FileInfo{
				Id:        model.NewId(),
				CreatorId: f.botID,
				ChannelId: r.FormValue("channel_id"),
				Name:      fh.Filename,
				Extension: path.Ext(fh.Filename),
				MimeType:  mime.TypeByExtension(path.Ext(fh.Filename)),
				Size:      int64(len(data)),
			}
			f.files[info.Id] = fakeFile{info: info, data: data}
			res.FileInfos = append(res.FileInfos, info)
		}
		f.reply(w, 201, res)
	})
	api("GET /api/v4/files/{id}/info", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		ff, ok := f.files[r.PathValue("id")]
		if !ok {
			f.fail(w, 404, "app.file_info.get.app_error")
			return
		}
		f.reply(w, 200, ff.info)
	})
	api("GET /api/v4/files/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		ff, ok := f.files[r.PathValue("id")]
		if !ok {
			f.fail(w, 404, "app.file_info.get.app_error")
			return
		}
		w.Header().Set("Content-Type", ff.info.MimeType)
		w.Write(ff.data)
	})
	api("POST /api/v4/posts", func(w http.ResponseWriter, r *http.Request) {
		var p model.Post
		f.decode(r, &p)
		pid := p.PendingPostId
		f.mu.Lock()
		if pid != "" {
			if id, seen := f.pending[pid]; seen {
				var found *model.Post
				for _, x := range f.posts {
					if x.Id == id {
						found = x
					}
				}
				f.mu.Unlock()
				if found == nil {
					f.fail(w, 500, "api.post.deduplicate_create_post.pending")
					return
				}
				f.reply(w, 201, found)
				return
			}
			if f.pending == nil {
				f.pending = map[string]string{}
			}
			f.pending[pid] = ""
		}
		slow := f.slowPosts > 0
		if slow {
			f.slowPosts--
		}
		delay := f.postDelay
		f.mu.Unlock()
		saved := f.addPost(&p)
		if pid != "" {
			f.mu.Lock()
			f.pending[pid] = saved.Id
			f.mu.Unlock()
		}
		if slow {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(delay):
			}
		}
		f.reply(w, 201, saved)
	})
	api("POST /api/v4/posts/ephemeral", func(w http.ResponseWriter, r *http.Request) {
		var pe model.PostEphemeral
		f.decode(r, &pe)
		f.reply(w, 201, pe.Post)
	})
	api("POST /api/v4/reactions", func(w http.ResponseWriter, r *http.Request) {
		var re model.Reaction
		f.decode(r, &re)
		f.mu.Lock()
		re.CreateAt = f.clock
		f.clock++
		f.reactions = append(f.reactions, &re)
		f.mu.Unlock()
		f.pushReaction(model.WebsocketEventReactionAdded, &re)
		f.reply(w, 201, &re)
	})
	api("DELETE /api/v4/users/{user}/posts/{post}/reactions/{emoji}", func(w http.ResponseWriter, r *http.Request) {
		re := &model.Reaction{UserId: r.PathValue("user"), PostId: r.PathValue("post"), EmojiName: r.PathValue("emoji")}
		f.mu.Lock()
		kept := f.reactions[:0]
		for _, x := range f.reactions {
			if x.UserId != re.UserId || x.PostId != re.PostId || x.EmojiName != re.EmojiName {
				kept = append(kept, x)
			}
		}
		f.reactions = kept
		f.mu.Unlock()
		f.pushReaction(model.WebsocketEventReactionRemoved, re)
		f.reply(w, 200, map[string]string{"status": "OK"})
	})
	api("GET /api/v4/posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, p := range f.posts {
			if p.Id == r.PathValue("id") {
				f.reply(w, 200, p)
				return
			}
		}
		f.fail(w, 404, "app.post.get.app_error")
	})
	api("GET /api/v4/channels/{id}/posts", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		perPage, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		f.mu.Lock()
		defer f.mu.Unlock()
		f.pageCalls++
		var in []*model.Post
		for _, p := range f.posts {
			if p.ChannelId == r.PathValue("id") {
				in = append(in, p)
			}
		}
		sort.SliceStable(in, func(i, j int) bool { return in[i].CreateAt > in[j].CreateAt })
		list := model.NewPostList()
		for i := page * perPage; i < len(in) && i < (page+1)*perPage; i++ {
			list.AddPost(in[i])
			list.AddOrder(in[i].Id)
		}
		f.reply(w, 200, list)
	})
	api("GET /api/v4/commands", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		out := []*model.Command{}
		for _, c := range f.commands {
			if c.TeamId == r.URL.Query().Get("team_id") {
				out = append(out, c)
			}
		}
		f.reply(w, 200, out)
	})
	api("POST /api/v4/commands", func(w http.ResponseWriter, r *http.Request) {
		var c model.Command
		f.decode(r, &c)
		f.mu.Lock()
		defer f.mu.Unlock()
		c.Id, c.Token, c.CreateAt = model.NewId(), model.NewId(), 1
		f.commands[c.Id] = &c
		f.reply(w, 201, &c)
	})
	api("PUT /api/v4/commands/{id}", func(w http.ResponseWriter, r *http.Request) {
		var c model.Command
		f.decode(r, &c)
		f.mu.Lock()
		defer f.mu.Unlock()
		c.UpdateAt++
		f.commands[c.Id] = &c
		f.reply(w, 200, &c)
	})
	api("POST /api/v4/channels/direct", func(w http.ResponseWriter, r *http.Request) {
		var ids []string
		f.decode(r, &ids)
		sort.Strings(ids)
		f.reply(w, 201, &model.Channel{Id: ids[0][:13] + ids[1][:13], Type: model.ChannelTypeDirect})
	})
	mux.HandleFunc("GET /api/v4/websocket", f.serveSocket)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.dropSockets()
		f.srv.Close()
	})
	return f
}

func (f *fakeMM) client() *Client {
	c := New(f.srv.URL, f.token)
	c.backoffMin, c.backoffMax = 10*time.Millisecond, 50*time.Millisecond
	c.helloTimeout = 5 * time.Second
	return c
}

func (f *fakeMM) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake: encode: %v", err)
	}
}

func (f *fakeMM) fail(w http.ResponseWriter, status int, id string) {
	f.reply(w, status, &model.AppError{Id: id, Message: id, StatusCode: status})
}

func (f *fakeMM) decode(r *http.Request, v any) {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		f.t.Errorf("fake: decode %s: %v", r.URL.Path, err)
	}
}

// addPost stores a post (as the bot unless UserId is set) and pushes it to
// every socket.
func (f *fakeMM) addPost(p *model.Post) *model.Post {
	f.mu.Lock()
	p.Id = model.NewId()
	if p.UserId == "" {
		p.UserId = f.botID
	}
	p.CreateAt = f.clock
	f.clock++
	f.posts = append(f.posts, p)
	sockets := make([]*fakeSocket, 0, len(f.sockets))
	for s := range f.sockets {
		sockets = append(sockets, s)
	}
	f.mu.Unlock()
	js, _ := json.Marshal(p)
	ev := model.NewWebSocketEvent(model.WebsocketEventPosted, "", p.ChannelId, "", nil)
	ev.Add("post", string(js))
	ev.Add("channel_type", "P")
	raw, _ := ev.ToJSON()
	for _, s := range sockets {
		_ = s.write(json.RawMessage(raw))
	}
	return p
}

// pushReaction sends a reaction event to every socket, broadcast to the
// post's channel as Mattermost does.
func (f *fakeMM) pushReaction(event string, re *model.Reaction) {
	f.mu.Lock()
	channel := ""
	for _, p := range f.posts {
		if p.Id == re.PostId {
			channel = p.ChannelId
		}
	}
	sockets := make([]*fakeSocket, 0, len(f.sockets))
	for s := range f.sockets {
		sockets = append(sockets, s)
	}
	f.mu.Unlock()
	js, _ := json.Marshal(re)
	ev := model.NewWebSocketEvent(event, "", channel, "", nil)
	ev.Add("reaction", string(js))
	raw, _ := ev.ToJSON()
	for _, s := range sockets {
		_ = s.write(json.RawMessage(raw))
	}
}

func (f *fakeMM) serveSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s := &fakeSocket{conn: conn}
	defer conn.Close()
	var req model.WebSocketRequest
	if err := conn.ReadJSON(&req); err != nil {
		return
	}
	if req.Action != model.WebsocketAuthenticationChallenge || req.Data["token"] != f.token {
		_ = s.write(model.NewWebSocketResponse(model.StatusFail, req.Seq, nil))
		return
	}
	_ = s.write(model.NewWebSocketResponse(model.StatusOk, req.Seq, nil))
	f.mu.Lock()
	f.connects++
	f.sockets[s] = true
	f.mu.Unlock()
	hello := model.NewWebSocketEvent(model.WebsocketEventHello, "", "", f.botID, nil)
	hello.Add("server_version", "fake")
	raw, _ := hello.ToJSON()
	_ = s.write(json.RawMessage(raw))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			break
		}
	}
	f.mu.Lock()
	delete(f.sockets, s)
	f.mu.Unlock()
}

// dropSockets closes every open WebSocket from the server side.
func (f *fakeMM) dropSockets() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.sockets {
		s.conn.Close()
		delete(f.sockets, s)
	}
}
