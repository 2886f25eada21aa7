package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"
)

// Upload is a supporting document an applicant organisation sent (a safeguarding policy, say).
// Content is only loaded when downloading.
type Upload struct {
	ID            int64     `db:"id"`
	ApplicationID int64     `db:"application_id"`
	Kind          string    `db:"kind"` // one of UploadKinds
	Filename      string    `db:"filename"`
	ContentType   string    `db:"content_type"` // as sniffed from the content, never as the browser claimed
	Size          int64     `db:"size_bytes"`
	SHA256        string    `db:"sha256"`
	Content       []byte    `db:"content"`
	UploadedBy    int64     `db:"uploaded_by"`
	UploaderName  string    `db:"uploader_name"`
	UploadedAt    time.Time `db:"uploaded_at"`
}

// UploadKind is one kind of supporting document with its name for people.
type UploadKind struct {
	Value, Label string
}

// UploadKinds are the kinds of supporting document, in the order forms offer them; the table's
// CHECK holds the same values.
var UploadKinds = []UploadKind{
	{"safeguarding_policy", "Safeguarding policy"},
	{"constitution", "Constitution or governing document"},
	{"accounts", "Accounts"},
	{"other", "Other document"},
}

// UploadKindLabel names a kind for people; "" when it is not one of UploadKinds.
func UploadKindLabel(kind string) string {
	for _, k := range UploadKinds {
		if k.Value == kind {
			return k.Label
		}
	}
	return ""
}

// MaxFilename is the longest file name kept, in characters, extension included.
const MaxFilename = 200

// SanitiseFilename makes a name sent by a browser safe to store, show and send back in a
// Content-Disposition header: the base name only (browsers on Windows have sent whole paths), no
// control, formatting or bidirectional characters (which can disguise "fdp.exe" as "exe.pdf"), no
// quotes or characters Windows forbids, white space collapsed, no leading dot, at most MaxFilename
// characters with the extension kept. A name with nothing left is "document".
func SanitiseFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs), strings.ContainsRune("\"'`<>:*?|", r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	name = strings.Trim(b.String(), ". ")
	if runes := []rune(name); len(runes) > MaxFilename {
		ext := []rune(path.Ext(name))
		if len(ext) > 20 { // not an extension worth keeping
			ext = nil
		}
		name = strings.TrimRight(string(runes[:MaxFilename-len(ext)]), ". ") + string(ext)
	}
	if name == "" {
		return "document"
	}
	return name
}

// SaveUpload stores a supporting document sent by the user, with its size and SHA-256 worked
// out here and its name sanitised, and appends a line to the application's audit trail in the
// same transaction. The application's status is left as it is: an upload is not a stage. One that
// would take the organisation past its upload quota is refused with a *QuotaError.
func (s *Store) SaveUpload(ctx context.Context, up Upload, by User) (Upload, error) {
	label := UploadKindLabel(up.Kind)
	if label == "" {
		return Upload{}, fmt.Errorf("store: unknown kind of upload %q", up.Kind)
	}
	sum := sha256.Sum256(up.Content)
	up.SHA256 = hex.EncodeToString(sum[:])
	up.Size = int64(len(up.Content))
	up.Filename = SanitiseFilename(up.Filename)
	up.UploadedBy, up.UploaderName = by.ID, by.Name
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.checkUploadQuota(ctx, tx, up.ApplicationID, up.Size); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &up.ID, `INSERT INTO uploads (application_id, kind, filename, content_type, size_bytes, sha256, content, uploaded_by, uploaded_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`,
			up.ApplicationID, up.Kind, up.Filename, up.ContentType, up.Size, up.SHA256, up.Content, up.UploadedBy, up.UploadedAt)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO application_events (application_id, event_key, at, actor_user_id, actor_name, actor_role, what, status)
			SELECT id, $2, $3, $4, $5, $6, $7, status FROM applications WHERE id = $1`,
			up.ApplicationID, fmt.Sprintf("upload-%d", up.ID), up.UploadedAt, by.ID, by.Name, string(by.Role),
			"Document uploaded: "+label+" ("+up.Filename+")")
		return err
	})
	if err != nil {
		return Upload{}, err
	}
	return up, nil
}

const uploadColumns = `u.id, u.application_id, u.kind, u.filename, u.content_type, u.size_bytes, u.sha256, u.uploaded_by, u.uploaded_at, us.name AS uploader_name`

// Uploads lists an application's supporting documents without their content, newest first.
func (s *Store) Uploads(ctx context.Context, applicationID int64) ([]Upload, error) {
	list := []Upload{}
	err := s.DB.SelectContext(ctx, &list, `SELECT `+uploadColumns+` FROM uploads u JOIN users us ON us.id = u.uploaded_by
		WHERE u.application_id = $1 ORDER BY u.uploaded_at DESC, u.id DESC`, applicationID)
	return list, err
}

// Upload reads one supporting document with its content.
func (s *Store) Upload(ctx context.Context, id int64) (Upload, error) {
	var up Upload
	err := s.DB.GetContext(ctx, &up, `SELECT `+uploadColumns+`, u.content FROM uploads u JOIN users us ON us.id = u.uploaded_by
		WHERE u.id = $1`, id)
	return up, notFound(err)
}
