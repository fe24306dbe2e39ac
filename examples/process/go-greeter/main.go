// The Greeter contract as a Go process plugin, standard library only (docs/protocol.md).
// Build: go build -o go-greeter . ; deploy go-greeter.plugin.json beside the binary.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
)

const cookie = "atrium-plugin-7f3c9b2e"

type request struct {
	ID     *int64            `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type response struct {
	JSONRPC string      `json:"jsonrpc"`
	ID      int64       `json:"id"`
	Result  interface{} `json:"result,omitempty"`
	Error   *rpcError   `json:"error,omitempty"`
}

func greet(params []json.RawMessage) (interface{}, *rpcError) {
	var name string
	if len(params) != 1 || json.Unmarshal(params[0], &name) != nil {
		return nil, &rpcError{-32602, "greet takes one string"}
	}
	return "Hello, " + name + "!", nil
}

func answer(req request) response {
	switch req.Method {
	case "greet":
		r, e := greet(req.Params)
		return response{"2.0", *req.ID, r, e}
	case "atrium.ping":
		return response{"2.0", *req.ID, "pong", nil}
	case "atrium.shutdown":
		return response{"2.0", *req.ID, true, nil}
	}
	return response{"2.0", *req.ID, nil, &rpcError{-32601, "no method '" + req.Method + "'"}}
}

func main() {
	if os.Getenv("ATRIUM_PLUGIN_COOKIE") != cookie {
		fmt.Fprintln(os.Stderr, "go-greeter is an Atrium plugin: drop its manifest into an Atrium server's plugin folder; it is not meant to be run by hand.")
		os.Exit(1)
	}
	in := bufio.NewReaderSize(os.Stdin, 64*1024)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	var mu sync.Mutex
	send := func(v interface{}, flush bool) {
		mu.Lock()
		enc.Encode(v) // one line, with its newline
		if flush {
			out.Flush()
		}
		mu.Unlock()
	}
	exec := os.Getenv("ATRIUM_PLUGIN_MODE") == "exec"
	if !exec {
		send(map[string]interface{}{"jsonrpc": "2.0", "method": "atrium.handshake", "params": map[string]interface{}{
			"cookie": cookie, "protocol": 1, "name": os.Getenv("ATRIUM_PLUGIN_NAME"), "contract": "io.atrium.api.greeting.Greeter",
			"capabilities": []string{"greet"}}}, true)
	}
	for {
		// about to wait for a request (no whole line buffered): the answers so far go out, in one write
		if b, _ := in.Peek(in.Buffered()); bytes.IndexByte(b, '\n') < 0 {
			mu.Lock()
			out.Flush()
			mu.Unlock()
		}
		line, err := in.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			var req request
			if json.Unmarshal([]byte(line), &req) == nil && req.ID != nil && req.Method != "" {
				// trivial work: answered on the reader goroutine, in order; the answers to requests that
				// came in one read are flushed together, before the next read (one write, not one each)
				last := exec || req.Method == "atrium.shutdown"
				send(answer(req), last)
				if last {
					return
				}
			}
		}
		if err != nil {
			mu.Lock()
			out.Flush()
			mu.Unlock()
			return
		}
	}
}
