// The Go contender for evbench's fan-out benchmark: a websocket event server with gorilla/websocket
// and one writer goroutine per client (the idiomatic Go design), speaking enough of evbench's v0
// protocol for evbench's clients to measure it: subscribe (acked with the log head), publish
// (acked with first_id/last_id), events framed as {"msgID":n,"id":…,…}. Filters are ignored
// (every subscriber gets every event); there is no catch-up. A client whose queue is full is
// closed with 4008 "slow client", like evbench serve's isolated mode.
//
// Build (GOPATH mode, from Debian's packages):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o evbench-go-server bench/go/main.go
//
// Run: ./evbench-go-server [-queue N]   (prints {"url":"ws://127.0.0.1:PORT/websocket"} once listening)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

type client struct {
	conn  *websocket.Conn
	out   chan []byte // event bodies (after the per-connection `{"msgID":N,` head)
	msgID int
	once  sync.Once
}

type hub struct {
	mu     sync.RWMutex
	subs   map[*client]struct{}
	nextID int64
	logMu  sync.Mutex
}

type publishedEvent struct {
	EventType       string          `json:"event_type"`
	ObjectUUID      string          `json:"object_uuid"`
	ObjectOwnerUUID string          `json:"object_owner_uuid"`
	ObjectKind      string          `json:"object_kind"`
	EventAt         string          `json:"event_at"`
	Properties      json.RawMessage `json:"properties"`
}

type request struct {
	Method string           `json:"method"`
	Events []publishedEvent `json:"events"`
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true },
}

var queueLen = flag.Int("queue", 8192, "events queued per client before it is closed as slow")

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// writer is the client's own goroutine: it alone writes to the connection.
func (c *client) writer() {
	for body := range c.out {
		w, err := c.conn.NextWriter(websocket.TextMessage)
		if err != nil {
			break
		}
		c.msgID++
		w.Write([]byte(`{"msgID":` + strconv.Itoa(c.msgID) + `,`))
		w.Write(body)
		if err := w.Close(); err != nil {
			break
		}
	}
	c.conn.Close()
}

func (c *client) closeSlow() {
	c.once.Do(func() {
		msg := websocket.FormatCloseMessage(4008, "slow client")
		c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		c.conn.Close()
	})
}

func (h *hub) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &client{conn: conn, out: make(chan []byte, *queueLen)}
	subscribed := false
	defer func() {
		h.mu.Lock()
		if _, ok := h.subs[c]; ok {
			delete(h.subs, c)
			close(c.out)
		}
		h.mu.Unlock()
		if !subscribed {
			conn.Close()
		}
	}()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var req request
		if err := json.Unmarshal(data, &req); err != nil {
			if !subscribed { // after subscribing only the writer goroutine may write
				conn.WriteMessage(websocket.TextMessage, []byte(`{"status":400,"message":"invalid JSON"}`))
			}
			continue
		}
		switch req.Method {
		case "subscribe":
			if subscribed {
				continue
			}
			h.mu.Lock()
			head := h.nextID
			conn.WriteMessage(websocket.TextMessage, []byte(`{"status":200,"last_log_id":`+strconv.FormatInt(head, 10)+`}`))
			h.subs[c] = struct{}{}
			subscribed = true
			h.mu.Unlock()
			go c.writer()
		case "publish":
			if len(req.Events) == 0 {
				continue
			}
			now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
			h.logMu.Lock()
			first := h.nextID + 1
			bodies := make([][]byte, len(req.Events))
			for i, e := range req.Events {
				id := first + int64(i)
				props := e.Properties
				if len(props) == 0 {
					props = json.RawMessage("{}")
				}
				bodies[i] = []byte(fmt.Sprintf(`"id":%d,"uuid":"zzzzz-57u5n-%015d","object_uuid":%s,"object_owner_uuid":%s,"object_kind":%s,"event_type":%s,"event_at":"%s","properties":%s}`,
					id, id, quote(e.ObjectUUID), quote(orDefault(e.ObjectOwnerUUID, "group-all")), quote(orDefault(e.ObjectKind, "arvados#object")),
					quote(e.EventType), orDefault(e.EventAt, now), props))
			}
			last := first + int64(len(req.Events)) - 1
			// The ack and the fan-out under one lock, so a subscriber's ack head and its first event agree.
			h.mu.Lock()
			h.nextID = last
			conn.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"status":200,"first_id":%d,"last_id":%d}`, first, last)))
			for s := range h.subs {
				for _, b := range bodies {
					select {
					case s.out <- b:
					default:
						delete(h.subs, s)
						close(s.out)
						go s.closeSlow()
						goto next
					}
				}
			next:
			}
			h.mu.Unlock()
			h.logMu.Unlock()
		default:
			conn.WriteMessage(websocket.TextMessage, []byte(`{"status":400,"message":"unknown method"}`))
		}
	}
}

func main() {
	flag.Parse()
	h := &hub{subs: map[*client]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/websocket", h.serve)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Printf("{\"url\":\"ws://127.0.0.1:%d/websocket\"}\n", port)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		os.Exit(0)
	}()
	http.Serve(ln, mux)
}
