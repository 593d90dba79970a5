//! Everyone's hours of a week or a month at a glance, on the approvals screen: per person a
//! bar by project and a strip by day (SVG drawn here, no chart library), the numbers in
//! words beside them, and the working days someone logged nothing on, marked.

use leptos::prelude::*;

use crate::{
    api::get_team_hours,
    api_client::authorized,
    browser::{day_label, duration_label, month_label, today, week_label, weekday_letter},
    domain::WorkDate,
    error::AppError,
    overview::{Period, PersonHours, ProjectHours, TeamHours},
};

/// Colours of projects set up without one: apart in hue, each at least 3:1 against the
/// light card (WCAG 1.4.11) and clear on the dark one.
const PALETTE: [&str; 6] = [
    "#2563eb", "#c2410c", "#047857", "#9333ea", "#dc2626", "#0e7490",
];

/// Height of a day's strip; a day of [`TeamHours::longest_day`] fills it.
const STRIP_HEIGHT: f64 = 32.0;

#[component]
pub fn TeamHoursCard() -> impl IntoView {
    // The phone's calendar decides "this week" and which days are still to come.
    let today = today();
    let period = RwSignal::new(today.map(Period::week_of));
    let hours = LocalResource::new(move || {
        let period = period.get();
        async move {
            let (Some(period), Some(today)) = (period, today) else {
                return Err(AppError::Unavailable);
            };
            let (period, today) = (period.to_string(), today.to_string());
            authorized(|| get_team_hours(period.clone(), today.clone())).await
        }
    });
    let is_week = move || period.get().is_none_or(Period::is_week);
    let switch_to = move |week: bool| {
        if let Some(today) = today {
            period.set(Some(if week {
                Period::week_of(today)
            } else {
                Period::month_of(today)
            }));
        }
    };
    let step = move |by: i64| period.update(|period| *period = period.map(|p| p.step(by)));
    let unit = move || if is_week() { "week" } else { "month" };
    view! {
        <section class="card team-hours" aria-labelledby="team-hours-title" data-testid="team-hours">
            <div class="team-head">
                <h2 id="team-hours-title">"Team hours"</h2>
                <div class="segmented" role="group" aria-label="Show a week or a month">
                    <button type="button" aria-pressed=move || is_week().to_string() on:click=move |_| switch_to(true)>"Week"</button>
                    <button type="button" aria-pressed=move || (!is_week()).to_string() on:click=move |_| switch_to(false)>"Month"</button>
                </div>
            </div>
            <div class="period-nav">
                <button type="button" class="button small" aria-label=move || format!("Previous {}", unit()) on:click=move |_| step(-1)>"‹"</button>
                <span class="period-label" aria-live="polite">{move || period.get().map(period_label).unwrap_or_default()}</span>
                <button type="button" class="button small" aria-label=move || format!("Next {}", unit()) on:click=move |_| step(1)>"›"</button>
            </div>
            {move || match hours.get() {
                None => view! { <p class="muted" aria-busy="true">"Loading team hours…"</p> }.into_any(),
                Some(Err(err)) => view! {
                    <p class="notice" role="alert">{format!("Could not load the team's hours: {err}")}</p>
                }
                .into_any(),
                Some(Ok(team)) => view! { <TeamChart team/> }.into_any(),
            }}
        </section>
    }
}

fn period_label(period: Period) -> String {
    match period {
        Period::Week(week) => week_label(week),
        Period::Month { .. } => month_label(period.first()),
    }
}

/// A project's colour: its own, else one of [`PALETTE`] by its place in the legend.
fn colour_of(project: &ProjectHours, legend: &[ProjectHours]) -> String {
    project.colour.clone().unwrap_or_else(|| {
        let index = legend
            .iter()
            .position(|entry| entry.code == project.code)
            .unwrap_or(0);
        PALETTE[index % PALETTE.len()].to_owned()
    })
}

#[component]
fn TeamChart(team: TeamHours) -> impl IntoView {
    if team.people.is_empty() {
        return view! { <p data-testid="team-empty">"Nobody has logged time in this period or the four weeks before it."</p> }
            .into_any();
    }
    let missing: usize = team.people.iter().map(|person| person.missing.len()).sum();
    let people = team.people.len();
    let summary = format!(
        "{} logged by {people} {}{}",
        duration_label(team.minutes),
        if people == 1 { "person" } else { "people" },
        match missing {
            0 => String::new(),
            1 => " · 1 working day with nothing logged".to_owned(),
            n => format!(" · {n} working days with nothing logged"),
        }
    );
    let most = team
        .people
        .iter()
        .map(|person| person.minutes)
        .max()
        .unwrap_or(0)
        .max(1);
    let longest = team.longest_day();
    let legend = team.projects.clone();
    let days = team.days.clone();
    let week = team.period.is_week();
    view! {
        <p class="team-summary" data-testid="team-summary">{summary}</p>
        <ul class="team-legend" aria-label="Projects">
            {team.projects.iter().map(|project| view! {
                <li>
                    <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">
                        <rect width="10" height="10" rx="2" fill=colour_of(project, &legend)></rect>
                    </svg>
                    {format!("{} {}", project.name, duration_label(project.minutes))}
                </li>
            }).collect_view()}
        </ul>
        <ul class="team-people">
            {team.people.into_iter().map(|person| view! {
                <PersonRow person legend=legend.clone() days=days.clone() most longest week/>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn PersonRow(
    person: PersonHours,
    legend: Vec<ProjectHours>,
    days: Vec<WorkDate>,
    /// The most anyone logged in the period: the full width of a bar.
    most: u32,
    longest: u32,
    week: bool,
) -> impl IntoView {
    let name = person.name.clone();
    let by_project = person
        .projects
        .iter()
        .map(|project| format!("{} {}", project.name, duration_label(project.minutes)))
        .collect::<Vec<_>>()
        .join(" · ");
    // The bar: one segment per project, its width the share of the most anyone logged.
    let mut x = 0.0;
    let segments = person
        .projects
        .iter()
        .map(|project| {
            let width = 100.0 * f64::from(project.minutes) / f64::from(most);
            let segment = view! {
                <rect x=format!("{x:.2}") y="0" width=format!("{width:.2}") height="10" fill=colour_of(project, &legend)></rect>
            };
            x += width;
            segment
        })
        .collect_view();
    let bar_label = if person.minutes == 0 {
        format!("{name}: nothing logged")
    } else {
        format!("{name}: {by_project}")
    };
    // The strip: one column per day, its height the day's time; a missing day is an
    // outlined, dashed column (not colour alone: its label says so too).
    let slot = 10.0;
    let strip_width = slot * days.len() as f64;
    let columns = days
        .iter()
        .zip(&person.per_day)
        .enumerate()
        .map(|(index, (day, minutes))| {
            let x = index as f64 * slot;
            let is_missing = person.missing.contains(day);
            let height = STRIP_HEIGHT * f64::from(*minutes) / f64::from(longest.max(1));
            view! {
                <rect class="strip-ground" x=format!("{:.1}", x + 1.0) y="0" width="8" height=STRIP_HEIGHT.to_string() rx="1"></rect>
                {(*minutes > 0).then(|| view! {
                    <rect class="strip-day" x=format!("{:.1}", x + 1.0) y=format!("{:.2}", STRIP_HEIGHT - height) width="8" height=format!("{height:.2}") rx="1"></rect>
                })}
                {is_missing.then(|| view! {
                    <rect class="strip-missing" x=format!("{:.1}", x + 1.5) y="0.5" width="7" height=(STRIP_HEIGHT - 1.0).to_string() rx="1"></rect>
                })}
            }
        })
        .collect_view();
    let day_words = days
        .iter()
        .zip(&person.per_day)
        .filter(|(_, minutes)| **minutes > 0)
        .map(|(day, minutes)| format!("{} {}", day_label(*day), duration_label(*minutes)))
        .collect::<Vec<_>>()
        .join(", ");
    let strip_label = if day_words.is_empty() {
        format!("{name} by day: nothing logged")
    } else {
        format!("{name} by day: {day_words}")
    };
    let letters = week.then(|| {
        view! {
            <div class="strip-letters" aria-hidden="true">
                {days.iter().map(|day| view! { <span>{weekday_letter(*day)}</span> }).collect_view()}
            </div>
        }
    });
    let missing_text = (!person.missing.is_empty()).then(|| {
        let list = person
            .missing
            .iter()
            .map(|day| day_label(*day))
            .collect::<Vec<_>>()
            .join(", ");
        view! { <p class="team-missing" data-testid="team-missing">{format!("Nothing logged on {list}")}</p> }
    });
    view! {
        <li class="team-person" data-testid="team-person" data-missing=person.missing.len()>
            <div class="team-person-head">
                <span class="team-name">{name.clone()}</span>
                <span class="team-total">{duration_label(person.minutes)}</span>
            </div>
            <svg class="team-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=bar_label>
                <rect class="bar-ground" width="100" height="10" rx="2"></rect>
                {segments}
            </svg>
            <p class="team-projects">{by_project}</p>
            <svg class="team-strip" viewBox=format!("0 0 {strip_width} {STRIP_HEIGHT}") preserveAspectRatio="none" role="img" aria-label=strip_label>
                {columns}
            </svg>
            {letters}
            {missing_text}
        </li>
    }
}
