package mailcatcher

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The inbox lists a received message and shows its HTML (escaped into the frame) and text.
func TestInboxShowsMessages(t *testing.T) {
	c := New()
	raw := "From: grants@opcc.example\r\nTo: a@example.org\r\nMessage-ID: <k1@opcc.example>\r\nSubject: =?UTF-8?q?Reminder:_caf=C3=A9?=\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nOpen http://localhost:8080/applications/1 =\r\nnow\r\n" +
		"--b\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<a href=\"http://localhost:8080/applications/1\">Open</a>\r\n--b--\r\n"
	for range 2 {
		if err := c.Deliver("grants@opcc.example", []string{"a@example.org"}, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	list := c.Messages()
	if len(list) != 1 || list[0].Deliveries != 2 || list[0].Subject != "Reminder: café" || !strings.Contains(list[0].Text, "applications/1 now") {
		t.Fatalf("messages %+v", list)
	}
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	for path, want := range map[string]string{"/": `href="/messages/1">Reminder: café`, "/messages/1": `&lt;a href=&#34;http://localhost:8080/applications/1&#34;&gt;Open&lt;/a&gt;`} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), want) {
			t.Errorf("%s lacks %s:\n%s", path, want, body)
		}
	}
	if res, _ := http.Get(srv.URL + "/messages/9"); res.StatusCode != http.StatusNotFound {
		t.Errorf("missing message: %d", res.StatusCode)
	}
}
