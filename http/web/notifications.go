package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/store"
)

// notificationsView is a page of the person's notifications with its links.
type notificationsView struct {
	apiv1.NotificationList
	Pages pagination
}

// notificationsPage lists the signed-in person's own notifications, newest first.
func (s *Server) notificationsPage(c *gin.Context) {
	u, _ := currentUser(c)
	q := c.Request.URL.Query()
	list, _, err := firstPageIfBadCursor(pageRequest(q, 0), func(p store.PageRequest) (apiv1.NotificationList, error) {
		list, err := s.opts.API.Notifications(c.Request.Context(), u, p)
		if he := (*httperr.Error)(nil); errors.As(err, &he) && he.Status == http.StatusUnprocessableEntity {
			return list, store.ErrBadCursor // only the cursor can be wrong here
		}
		return list, err
	})
	if err != nil {
		s.serverError(c, err)
		return
	}
	var links store.PageLinks
	if list.Next != nil {
		links.Next = *list.Next
	}
	if list.Previous != nil {
		links.Previous = *list.Previous
	}
	s.render(c, http.StatusOK, "notifications", page{Title: "Your notifications", Nav: "notifications",
		Data: notificationsView{NotificationList: list, Pages: paginationOf("Pages of your notifications", "/notifications", q, links)}})
}

// markNotificationRead marks one of the person's own notifications as read and shows the list again.
func (s *Server) markNotificationRead(c *gin.Context) {
	u, _ := currentUser(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(c)
		return
	}
	if err := s.opts.API.MarkNotificationRead(c.Request.Context(), u, id); err != nil {
		s.failRead(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/notifications")
}
