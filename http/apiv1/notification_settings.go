package apiv1

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// NotificationSettingsView is how the person is told, what they may choose, and until when they
// are away (staff only).
type NotificationSettingsView struct {
	NotifyBy        string   `json:"notify_by"`
	AwayUntil       *string  `json:"away_until"`
	NotifyByChoices []string `json:"notify_by_choices"`
}

// NotificationSettingsRequest replaces the person's settings: notify_by is required; away_until
// is a date (YYYY-MM-DD) not in the past, or null for not away.
type NotificationSettingsRequest struct {
	NotifyBy  string  `json:"notify_by"`
	AwayUntil *string `json:"away_until"`
}

// NotificationSettings is GET /me/notification-settings without HTTP, for the page too.
func (s *Server) NotificationSettings(ctx context.Context, u store.User) (NotificationSettingsView, error) {
	ns, err := s.Store.NotificationSettings(ctx, u.ID)
	if err != nil {
		return NotificationSettingsView{}, err
	}
	v := NotificationSettingsView{NotifyBy: ns.NotifyBy, NotifyByChoices: []string{store.NotifyByEmail}}
	if workflows.MayTakeDigest(u.Role) == nil {
		v.NotifyByChoices = append(v.NotifyByChoices, store.NotifyByDailyDigest)
	}
	// An away date that has passed means they are back: shown as none, so saving again is not refused.
	if day := ns.AwayUntil; day != nil && day.Format(time.DateOnly) >= s.now().In(scheme.London).Format(time.DateOnly) {
		shown := day.Format(time.DateOnly)
		v.AwayUntil = &shown
	}
	return v, nil
}

// SaveNotificationSettings checks and records the person's own settings; every field at fault is
// named at once.
func (s *Server) SaveNotificationSettings(ctx context.Context, u store.User, r NotificationSettingsRequest) (NotificationSettingsView, error) {
	p := problems{}
	switch r.NotifyBy {
	case store.NotifyByEmail:
	case store.NotifyByDailyDigest:
		refusal(p, workflows.MayTakeDigest(u.Role))
	case "":
		p.add("notify_by", "is required: choose how you want to be told")
	default:
		p.add("notify_by", `must be "email" or "daily_digest"`)
	}
	var away *time.Time
	if r.AwayUntil != nil && *r.AwayUntil != "" {
		if err := workflows.MaySayAway(u.Role); err != nil {
			refusal(p, err)
		} else if away = p.date("away_until", *r.AwayUntil); away != nil {
			today := s.now().In(scheme.London).Format(time.DateOnly)
			if away.Format(time.DateOnly) < today {
				p.add("away_until", "must be today or a date in the future")
			}
		}
	}
	if err := p.err(); err != nil {
		return NotificationSettingsView{}, err
	}
	if err := s.Store.SaveNotificationSettings(ctx, u.ID, store.NotificationSettings{NotifyBy: r.NotifyBy, AwayUntil: away}); err != nil {
		return NotificationSettingsView{}, err
	}
	return s.NotificationSettings(ctx, u)
}

// refusal adds a rule book refusal naming a field to the problems.
func refusal(p problems, err error) {
	if _, r, ok := workflows.RefusalOf(err); ok {
		p.add(r.Field, r.Reason)
	}
}

func (s *Server) getNotificationSettings(c *gin.Context) {
	v, err := s.NotificationSettings(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) putNotificationSettings(c *gin.Context) {
	var req NotificationSettingsRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.SaveNotificationSettings(c.Request.Context(), currentUser(c), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}
