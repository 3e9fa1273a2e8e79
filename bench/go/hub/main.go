// A plain gorilla/websocket hub, written the way gorilla's README points everyone (its chat
// example): one hub goroutine that owns the set of clients and receives every message on a
// broadcast channel, and per client a read goroutine and a write goroutine draining a buffered
// send channel, one WriteMessage (one frame, one write(2)) per message, with the example's write
// deadline and ping ticker. A client whose send channel is full is dropped by the hub, as in the
// example (here with evbench's close code 4008). It speaks just enough of evbench's v0 protocol
// for evbench's runner to measure it: subscribe (acked with the log head), publish (acked with
// first_id/last_id), events framed as {"msgID":n,"id":…,…}; no filters, no catch-up.
//
// How it differs from bench/go/main.go (the fan-out benchmark's contender): there the publisher's
// own read goroutine fans each batch out under a mutex straight into the clients' channels; here a
// batch goes through the hub goroutine first (one more channel hop and goroutine switch per
// batch), each client also runs a ping ticker, and every write has a deadline (SetWriteDeadline).
// The frames on the wire are the same.
//
// Build (GOPATH mode, from Debian's packages):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o evbench-go-hub bench/go/hub/main.go
//
// Run: ./evbench-go-hub [-queue N]   (prints {"url":"ws://127.0.0.1:PORT/websocket"} once listening)
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
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

const (
	writeWait      = 10 * time.Second
	pongWait       = 60 * time.Second
	pingPeriod     = (pongWait * 9) / 10
	maxMessageSize = 16 << 20
)

var queueLen = flag.Int("queue", 256, "messages queued per client before the hub drops it (the chat example's 256)")

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	CheckOrigin:     func(*http.Request) bool { return true },
}

// A batch of event bodies (everything after the per-connection `{"msgID":N,`).
type broadcast struct {
	bodies [][]byte
	done   chan struct{}
}

type subscription struct {
	client *client
	acked  chan int64
}

type client struct {
	hub   *hub
	conn  *websocket.Conn
	send  chan []byte
	msgID int
	// dropped: send is closed (set and read by the hub goroutine only)
	dropped bool
}

type hub struct {
	clients    map[*client]bool
	broadcast  chan broadcast
	register   chan subscription
	unregister chan *client
	head       int64
}

func (h *hub) run() {
	for {
		select {
		case s := <-h.register:
			h.clients[s.client] = true
			s.acked <- h.head
		case c := <-h.unregister:
			delete(h.clients, c)
			if !c.dropped { // a connection that never subscribed (the publisher) ends here too
				c.dropped = true
				close(c.send)
			}
		case b := <-h.broadcast:
			h.head += int64(len(b.bodies))
			for c := range h.clients {
				for _, body := range b.bodies {
					select {
					case c.send <- body:
					default:
						c.dropped = true
						close(c.send)
						delete(h.clients, c)
						goto next
					}
				}
			next:
			}
			close(b.done)
		}
	}
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

// readPump reads the client's requests; the publisher's batches go to the hub from here.
func (c *client) readPump(nextID *int64) {
	subscribed := false
	defer func() {
		c.hub.unregister <- c
		c.conn.Close()
	}()
	c.conn.SetReadLimit(maxMessageSize)
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { c.conn.SetReadDeadline(time.Now().Add(pongWait)); return nil })
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		c.conn.SetReadDeadline(time.Now().Add(pongWait))
		var req request
		if err := json.Unmarshal(data, &req); err != nil {
			c.reply(`{"status":400,"message":"invalid JSON"}`)
			continue
		}
		switch req.Method {
		case "subscribe":
			if subscribed {
				continue
			}
			subscribed = true
			acked := make(chan int64)
			c.hub.register <- subscription{client: c, acked: acked}
			c.reply(`{"status":200,"last_log_id":` + strconv.FormatInt(<-acked, 10) + `}`)
		case "publish":
			if len(req.Events) == 0 {
				continue
			}
			now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
			// one publisher connection: ids are this connection's to hand out
			first := *nextID + 1
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
			*nextID = first + int64(len(bodies)) - 1
			done := make(chan struct{})
			c.hub.broadcast <- broadcast{bodies: bodies, done: done}
			<-done
			c.reply(fmt.Sprintf(`{"status":200,"first_id":%d,"last_id":%d}`, first, *nextID))
		default:
			c.reply(`{"status":400,"message":"unknown method"}`)
		}
	}
}

// reply goes through the send channel too: only writePump writes to the connection.
func (c *client) reply(text string) {
	defer func() { recover() }() // the hub closed send: the client is gone
	c.send <- append([]byte{0}, text...)
}

// writePump is the client's own goroutine: one frame, one write, per message.
func (c *client) writePump() {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case m, ok := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4008, "slow client"))
				return
			}
			var frame []byte
			if len(m) > 0 && m[0] == 0 { // a status reply, as it is
				frame = m[1:]
			} else {
				c.msgID++
				frame = append([]byte(`{"msgID":`+strconv.Itoa(c.msgID)+`,`), m...)
			}
			if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
				return
			}
		case <-ticker.C:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

func main() {
	flag.Parse()
	h := &hub{
		clients:    map[*client]bool{},
		broadcast:  make(chan broadcast),
		register:   make(chan subscription),
		unregister: make(chan *client),
	}
	go h.run()
	var nextID int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/websocket", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &client{hub: h, conn: conn, send: make(chan []byte, *queueLen)}
		go c.writePump()
		go c.readPump(&nextID)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	fmt.Printf("{\"url\":\"ws://127.0.0.1:%d/websocket\"}\n", ln.Addr().(*net.TCPAddr).Port)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		os.Exit(0)
	}()
	http.Serve(ln, mux)
}
