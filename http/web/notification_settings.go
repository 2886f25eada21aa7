package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/store"
	"grantflow/workflows"
)

// Form fields of "Your notification settings", and the API's names for them.
const (
	fNotifyBy  = "notify-by"
	fAwayUntil = "away-until"
)

var settingsFieldOf = map[string]string{"notify_by": fNotifyBy, "away_until": fAwayUntil}

// settingsPage is what notification-settings.html shows.
type settingsPage struct {
	Choices  []option
	MayAway  bool // staff may say they are away
	Saved    bool
	Settings apiv1.NotificationSettingsView
}

var notifyByLabels = map[string]option{
	store.NotifyByEmail: {Value: store.NotifyByEmail, Label: "Send me an e-mail each time",
		Hint: "You get an e-mail as soon as something needs you or happens to an application."},
	store.NotifyByDailyDigest: {Value: store.NotifyByDailyDigest, Label: "Send me one e-mail a day",
		Hint: "At 7am each day you get one summary of your notifications and of the applications waiting for you."},
}

// notificationSettingsPage shows how the person is told, filled in with their settings now.
func (s *Server) notificationSettingsPage(c *gin.Context) {
	u, _ := currentUser(c)
	v, err := s.opts.API.NotificationSettings(c.Request.Context(), u)
	if err != nil {
		s.serverError(c, err)
		return
	}
	f := &form{values: url.Values{fNotifyBy: {v.NotifyBy}}}
	if v.AwayUntil != nil {
		if t, err := time.Parse(time.DateOnly, *v.AwayUntil); err == nil {
			f.values.Set(fAwayUntil+"-day", strconv.Itoa(t.Day()))
			f.values.Set(fAwayUntil+"-month", strconv.Itoa(int(t.Month())))
			f.values.Set(fAwayUntil+"-year", strconv.Itoa(t.Year()))
		}
	}
	s.showSettings(c, http.StatusOK, v, f, c.Query("saved") != "")
}

// saveNotificationSettings checks the form, then the API's rules, and shows every problem at once.
func (s *Server) saveNotificationSettings(c *gin.Context) {
	u, _ := currentUser(c)
	ctx := c.Request.Context()
	v, err := s.opts.API.NotificationSettings(ctx, u)
	if err != nil {
		s.serverError(c, err)
		return
	}
	f := readForm(c)
	req := apiv1.NotificationSettingsRequest{NotifyBy: f.Value(fNotifyBy)}
	if req.NotifyBy == "" {
		f.add(fNotifyBy, "Select how you want to be told")
	}
	if workflows.MaySayAway(u.Role) == nil && f.Value(fAwayUntil+"-day")+f.Value(fAwayUntil+"-month")+f.Value(fAwayUntil+"-year") != "" {
		if t, ok := f.date(fAwayUntil, "the date you are away until"); ok {
			day := t.Format(time.DateOnly)
			req.AwayUntil = &day
		}
	}
	if !f.invalid() {
		_, err = s.opts.API.SaveNotificationSettings(ctx, u, req)
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/notification-settings?saved=1")
			return
		}
		he := httperr.From(err)
		if he.Status >= 500 || len(he.Fields) == 0 {
			s.serverError(c, err)
			return
		}
		for _, api := range []string{"notify_by", "away_until"} { // in the order of the form
			if reason, ok := he.Fields[api]; ok {
				name, href, what := settingsFieldOf[api], htmlID(settingsFieldOf[api]), "How you are told"
				if name == fAwayUntil {
					href, what = href+"-day", "The date you are away until"
				}
				if strings.HasPrefix(reason, "must ") {
					reason = what + " " + reason // "must be today or a date in the future"
				}
				f.addAt(name, href, upperFirst(reason))
			}
		}
	}
	s.showSettings(c, http.StatusUnprocessableEntity, v, f, false)
}

func (s *Server) showSettings(c *gin.Context, status int, v apiv1.NotificationSettingsView, f *form, saved bool) {
	u, _ := currentUser(c)
	d := settingsPage{MayAway: workflows.MaySayAway(u.Role) == nil, Saved: saved, Settings: v}
	for _, choice := range v.NotifyByChoices {
		d.Choices = append(d.Choices, notifyByLabels[choice])
	}
	s.render(c, status, "notification-settings", page{Title: "Your notification settings", Nav: "notifications", Form: f, Data: d})
}
