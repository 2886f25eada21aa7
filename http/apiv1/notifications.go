package apiv1

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/store"
)

// NotificationList is a page of a person's own notifications, newest first, where the pages
// either side of it start (null for none) and how many are unread in all.
type NotificationList struct {
	Notifications []store.InboxItem `json:"notifications"`
	Unread        int               `json:"unread"`
	Next          *string           `json:"next"`
	Previous      *string           `json:"previous"`
}

// Notifications is GET /notifications without HTTP, for the page too: only the caller's own.
func (s *Server) Notifications(ctx context.Context, u store.User, p store.PageRequest) (NotificationList, error) {
	list, links, err := s.Store.InboxPage(ctx, u.ID, p)
	if err != nil {
		return NotificationList{}, pageError(p, err)
	}
	unread, err := s.Store.UnreadCount(ctx, u.ID)
	out := NotificationList{Notifications: list, Unread: unread}
	out.Next, out.Previous = nextLinks(links)
	return out, err
}

// MarkNotificationRead marks one of the caller's own notifications as read; anyone else's is not found.
func (s *Server) MarkNotificationRead(ctx context.Context, u store.User, id int64) error {
	err := s.Store.MarkRead(ctx, u.ID, id, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return httperr.NotFound("notification")
	}
	return err
}

func (s *Server) listNotifications(c *gin.Context) {
	page, err := pageOf(c, "per_page")
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.Notifications(c.Request.Context(), currentUser(c), page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list)
}

func (s *Server) markNotificationRead(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("notification"))
		return
	}
	if err := s.MarkNotificationRead(c.Request.Context(), currentUser(c), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
