package scheduler
import ("testing";"time";"github.com/robfig/cron/v3")
func TestProbeRobfig(t *testing.T){
 loc,_:=time.LoadLocation("Europe/Amsterdam")
 s,_:=cron.ParseStandard("CRON_TZ=Europe/Amsterdam 30 2 * * *")
 for _,start:=range []time.Time{time.Date(2026,3,27,12,0,0,0,loc),time.Date(2026,10,23,12,0,0,0,loc)}{
  x:=start
  for i:=0;i<4;i++{ x=s.Next(x); t.Log(x.In(loc)) }
 }
 t.Log(time.Date(2026,3,29,2,30,0,0,loc), time.Date(2026,10,25,2,30,0,0,loc))
}
