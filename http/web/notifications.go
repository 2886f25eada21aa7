package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// notificationsPage lists the signed-in person's own notifications, newest first.
func (s *Server) notificationsPage(c *gin.Context) {
	u, _ := currentUser(c)
	list, err := s.opts.API.Notifications(c.Request.Context(), u)
	if err != nil {
		s.serverError(c, err)
		return
	}
	s.render(c, http.StatusOK, "notifications", page{Title: "Your notifications", Nav: "notifications", Data: list})
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
