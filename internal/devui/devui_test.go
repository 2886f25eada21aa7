package devui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/internal/devtemporal"
	"grantflow/internal/devtemporal/devtemporaltest"
)

// The UI served against a real embedded Temporal: its page, its settings, and a workflow started
// through the SDK listed by its API, read from the frontend it points at.
func TestUIServesPageAndAPIAgainstEmbeddedTemporal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const namespace = "grantflow-ui-test"
	srv := devtemporaltest.Start(ctx, t, devtemporal.Options{
		Namespace: namespace,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})

	address := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ui, err := Start(ctx, Options{Address: address, TemporalAddress: srv.Address(), Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer ui.Stop()
	if want := "http://localhost:" + address[strings.LastIndex(address, ":")+1:]; ui.URL() != want {
		t.Errorf("URL() = %q, want %q", ui.URL(), want)
	}
	if want := ui.URL() + "/namespaces/" + namespace + "/workflows?query=ExecutionStatus%3D%22Running%22"; ui.WorkflowsURL() != want {
		t.Errorf("WorkflowsURL() = %q, want %q", ui.WorkflowsURL(), want)
	}

	status, body := get(t, "http://"+address+"/")
	if status != http.StatusOK || !strings.Contains(strings.ToLower(body), "<!doctype html") {
		t.Fatalf("GET / = %d, %.200q; want the UI's page", status, body)
	}
	var settings struct{ DefaultNamespace string }
	status, body = get(t, "http://"+address+"/api/v1/settings")
	if err := json.Unmarshal([]byte(body), &settings); status != http.StatusOK || err != nil || settings.DefaultNamespace != namespace {
		t.Fatalf("GET /api/v1/settings = %d, %.300q (%v); want DefaultNamespace %q", status, body, err, namespace)
	}

	c, err := client.DialContext(ctx, client.Options{HostPort: srv.Address(), Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Nothing runs it: started is enough for the frontend to list it as running.
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "application-ui-1", TaskQueue: "devui-test"}, "GrantWorkflow"); err != nil {
		t.Fatal(err)
	}
	list := "http://" + address + "/api/v1/namespaces/" + namespace + "/workflows?query=" + strings.ReplaceAll(`WorkflowId="application-ui-1"`, `"`, "%22")
	for {
		status, body = get(t, list)
		if status == http.StatusOK && strings.Contains(body, "application-ui-1") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("GET %s = %d, %.300q; want the workflow listed", list, status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestStartRefusesBusyAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Start(context.Background(), Options{Address: l.Addr().String(), TemporalAddress: "127.0.0.1:7233"})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("Start on a busy address: %v, want an error saying it is in use", err)
	}
}

func TestCheckAddress(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1:8233": "127.0.0.1", "localhost:9000": "127.0.0.1", ":8233": "127.0.0.1", "0.0.0.0:8233": "0.0.0.0"} {
		if host, _, err := CheckAddress(in); err != nil || host != want {
			t.Errorf("CheckAddress(%q) = %q, %v; want %q", in, host, err, want)
		}
	}
	for in, reason := range map[string]string{"8233": "host:port", "127.0.0.1:0": "port from 1", "127.0.0.1:99999": "port from 1",
		"127.0.0.1:http": "port from 1", "ui.example.org:8233": "IP address"} {
		if _, _, err := CheckAddress(in); err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("CheckAddress(%q) = %v; want an error saying %q", in, err, reason)
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
