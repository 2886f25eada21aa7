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

// inboxLimit is how many of a person's notifications a list shows, newest first.
const inboxLimit = 100

// NotificationList is a person's own notifications, newest first, and how many are unread.
type NotificationList struct {
	Notifications []store.InboxItem `json:"notifications"`
	Unread        int               `json:"unread"`
}

// Notifications is GET /notifications without HTTP, for the page too: only the caller's own.
func (s *Server) Notifications(ctx context.Context, u store.User) (NotificationList, error) {
	list, err := s.Store.Inbox(ctx, u.ID, inboxLimit)
	if err != nil {
		return NotificationList{}, err
	}
	unread, err := s.Store.UnreadCount(ctx, u.ID)
	return NotificationList{Notifications: list, Unread: unread}, err
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
	list, err := s.Notifications(c.Request.Context(), currentUser(c))
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
