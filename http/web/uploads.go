package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/headers"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Supporting documents (a safeguarding policy, a constitution, accounts): members of the applicant
// organisation upload them to an application while it is open; they and staff list and download
// them. Who may see an application is the API's rule (apiv1.MayView; an upload, apiv1.MayReadUploads): anyone else is told it is not
// found. What is stored is checked twice, by the name's extension and by sniffing the content, and
// the content's type is the one sent back, never what the browser claimed.

// maxUploadFile is the largest document accepted.
const maxUploadFile = 5 << 20

// Field names on the upload form, in the order of the form.
const (
	upKind = "kind"
	upFile = "file"
)

// Messages in the GOV.UK file upload component's words.
const (
	upErrNoFile   = "Select a document to upload"
	upErrEmpty    = "The selected file is empty"
	upErrTooLarge = "The selected file must be smaller than 5MB"
	upErrType     = "The selected file must be a PDF, DOCX or ODT"
	upErrKind     = "Select what kind of document this is"
)

// uploadTypes are the documents accepted: the extension a name must end with and the type its
// content must sniff as, both.
var uploadTypes = []struct{ ext, mime, name string }{
	{".pdf", "application/pdf", "PDF"},
	{".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX"},
	{".odt", "application/vnd.oasis.opendocument.text", "ODT"},
}

// uploadsClosed are the stages after which nothing more can come of a document: the application
// was turned down or its offer lapsed, or the grant is closed.
var uploadsClosed = map[workflows.Stage]bool{
	workflows.StageIneligible: true, workflows.StageDeclined: true, workflows.StageLapsed: true, workflows.StageClosed: true,
}

// uploadsView is what uploads.html shows.
type uploadsView struct {
	Title        string
	Organisation string
	Back         string
	Action       string
	Done         string
	Rows         []uploadRow
	Kinds        []option
	CanUpload    bool
	Closed       bool // a member, but the application no longer takes documents
}

type uploadRow struct {
	ID                                 int64
	Filename, Kind, Type, Size, By, On string
}

// viewableForUploads loads the application in the path for the signed-in person; anyone who may
// not see it gets the not-found page, as the API answers.
func (s *Server) viewableForUploads(c *gin.Context) (store.Application, store.User, bool) {
	id, ok := s.pathID(c)
	if !ok {
		return store.Application{}, store.User{}, false
	}
	u, _ := currentUser(c)
	app, err := s.opts.Store.Application(c.Request.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !apiv1.MayReadUploads(u, app)) {
		s.notFound(c)
		return store.Application{}, store.User{}, false
	}
	if err != nil {
		s.serverError(c, err)
		return store.Application{}, store.User{}, false
	}
	return app, u, true
}

// mayUpload: members of the applicant organisation, and only while the application is open.
func mayUpload(u store.User, app store.Application) bool {
	return memberApplicant(u, app) && !uploadsClosed[workflows.Stage(app.Status)]
}

func memberApplicant(u store.User, app store.Application) bool {
	return u.Role == scheme.RoleApplicant && u.MemberOf(app.OrganisationID)
}

// uploadTarget is viewableForUploads for someone about to upload: staff are told they cannot, and
// members that the application no longer takes documents.
func (s *Server) uploadTarget(c *gin.Context) (store.Application, store.User, bool) {
	app, u, ok := s.viewableForUploads(c)
	switch {
	case !ok:
		return app, u, false
	case !memberApplicant(u, app):
		s.notAllowed(c, "You cannot upload documents to this application")
		return app, u, false
	case !mayUpload(u, app):
		s.render(c, http.StatusConflict, "error", page{Title: "Documents can no longer be uploaded", Data: errorPage{
			Heading: "Documents can no longer be uploaded",
			Lines:   []string{"This application is closed, so it no longer takes documents. Nothing has been saved."},
			Link:    "Go back to the application's documents", LinkTo: uploadsPath(app.ID),
		}})
		c.Abort()
		return app, u, false
	}
	return app, u, true
}

func uploadsPath(id int64) string { return fmt.Sprintf("/applications/%d/uploads", id) }

// uploadsPage lists the application's documents, with the upload form for its members.
func (s *Server) uploadsPage(c *gin.Context) {
	app, u, ok := s.viewableForUploads(c)
	if !ok {
		return
	}
	s.showUploads(c, http.StatusOK, app, u, nil)
}

// showUploads renders the page; f holds what was sent and what is wrong with it, if anything.
func (s *Server) showUploads(c *gin.Context, status int, app store.Application, u store.User, f *form) {
	list, err := s.opts.Store.Uploads(c.Request.Context(), app.ID)
	if err != nil {
		s.serverError(c, err)
		return
	}
	v := uploadsView{Title: app.Title, Organisation: app.Organisation, Back: applicationPath(app.ID),
		Action: uploadsPath(app.ID), Done: doneMessages[c.Query("done")],
		CanUpload: mayUpload(u, app), Closed: memberApplicant(u, app) && !mayUpload(u, app)}
	if v.Title == "" {
		v.Title = "Untitled application"
	}
	if workflows.Stage(app.Status) == workflows.StageDraft && memberApplicant(u, app) {
		v.Back = fmt.Sprintf("/applications/%d/edit", app.ID) // a draft is still its form
	}
	for _, k := range store.UploadKinds {
		v.Kinds = append(v.Kinds, option{Value: k.Value, Label: k.Label})
	}
	for _, up := range list {
		v.Rows = append(v.Rows, uploadRow{ID: up.ID, Filename: up.Filename, Kind: store.UploadKindLabel(up.Kind),
			Type: uploadTypeName(up.ContentType), Size: store.Bytes(up.Size), By: up.UploaderName,
			On: up.UploadedAt.In(scheme.London).Format("2 January 2006")})
	}
	s.render(c, status, "uploads", page{Title: "Supporting documents", Nav: navOf(u), Form: f, Data: v})
}

// refuseLargeUpload answers an upload whose declared length is already over the limit with the
// page and the file's error, before anything reads the body. That is before the form's token in the
// body can be checked, which is safe because nothing is saved (a cross-origin post still goes on to
// be refused by verifyCSRF). Browsers always declare the length; a body that does not is cut off at
// the limit and refused by verifyCSRF.
func (s *Server) refuseLargeUpload(c *gin.Context) {
	if _, signedIn := currentUser(c); !signedIn || c.Request.ContentLength <= maxUpload || s.cop.Check(c.Request) != nil {
		c.Next()
		return
	}
	app, u, ok := s.uploadTarget(c)
	if !ok {
		return
	}
	f := &form{}
	f.add(upFile, upErrTooLarge)
	s.showUploads(c, http.StatusRequestEntityTooLarge, app, u, f)
	c.Abort()
}

// upload stores a document sent with the form and goes back to the list, or shows the form again
// saying what is wrong with it.
func (s *Server) upload(c *gin.Context) {
	app, u, ok := s.uploadTarget(c)
	if !ok {
		return
	}
	f := readForm(c)
	kind := f.Value(upKind)
	if store.UploadKindLabel(kind) == "" {
		f.add(upKind, upErrKind)
	}
	up, tooLarge, err := readUpload(c.Request, f)
	if err != nil {
		s.serverError(c, err)
		return
	}
	if f.invalid() {
		status := http.StatusUnprocessableEntity
		if tooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		s.showUploads(c, status, app, u, f)
		return
	}
	up.ApplicationID, up.Kind, up.UploadedAt = app.ID, kind, s.now()
	_, err = s.opts.Store.SaveUpload(c.Request.Context(), up, u)
	var quota *store.QuotaError
	if errors.As(err, &quota) { // the organisation's documents are at their limit: the form says so
		f.add(upFile, upperFirst(quota.Error()))
		s.showUploads(c, http.StatusConflict, app, u, f)
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, uploadsPath(app.ID)+"?done=uploaded")
}

// readUpload reads the form's file into an upload (name, content and sniffed type), recording on f
// what is wrong with it, and whether that is its size.
func readUpload(r *http.Request, f *form) (up store.Upload, tooLarge bool, err error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[upFile]) == 0 || r.MultipartForm.File[upFile][0].Filename == "" {
		f.add(upFile, upErrNoFile) // a browser sends an empty, unnamed part when no file was chosen
		return up, false, nil
	}
	fh := r.MultipartForm.File[upFile][0]
	switch {
	case fh.Size == 0:
		f.add(upFile, upErrEmpty)
		return up, false, nil
	case fh.Size > maxUploadFile:
		f.add(upFile, upErrTooLarge)
		return up, true, nil
	}
	file, err := fh.Open()
	if err != nil {
		return up, false, err
	}
	defer file.Close()
	content, err := io.ReadAll(file)
	if err != nil {
		return up, false, err
	}
	name := store.SanitiseFilename(fh.Filename)
	ext := strings.ToLower(path.Ext(name))
	for _, t := range uploadTypes {
		if t.ext != ext {
			continue
		}
		if !mimetype.Detect(content).Is(t.mime) {
			f.add(upFile, fmt.Sprintf("%s: its name ends %s but its contents are not %s", upErrType, t.ext, t.name))
			return up, false, nil
		}
		return store.Upload{Filename: name, ContentType: t.mime, Content: content}, false, nil
	}
	f.add(upFile, upErrType)
	return up, false, nil
}

// downloadUpload sends a document to someone who may see its application, as an attachment.
func (s *Server) downloadUpload(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	ctx := c.Request.Context()
	up, err := s.opts.Store.Upload(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(c)
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	app, err := s.opts.Store.Application(ctx, up.ApplicationID)
	if err != nil {
		s.serverError(c, err)
		return
	}
	if !apiv1.MayReadUploads(u, app) {
		s.notFound(c)
		return
	}
	c.Header("Content-Disposition", headers.Attachment(up.Filename))
	c.Header("X-Content-Type-Options", "nosniff") // as on every page; a download must never be sniffed into HTML
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, up.ContentType, up.Content)
}

// uploadTypeName is the short name of an accepted content type.
func uploadTypeName(contentType string) string {
	for _, t := range uploadTypes {
		if t.mime == contentType {
			return t.name
		}
	}
	return contentType
}
