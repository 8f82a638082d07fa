"""Write the two one-input tables derived from ``seattle_weather.csv`` (next to this script).

    python resources/datasets/make_seasons.py

- ``seattle_day_of_year.csv``: every day of 2012–2015 as ``date, day_of_year, temp_max``
  (1 January is day 1): the maximum temperature against the day of the year, a curve
  that rises from winter to summer and falls back (the example "A curve as a sum of sigmoids").
- ``seattle_winter_to_summer.csv``: from 1 December to mid-September, week by week, as
  ``week_start, week, temp_max`` (``week`` 0 starts on 1 December; ``temp_max`` the mean of
  that week's seven daily maxima, rounded to 0.01 °C; only complete weeks): flat in winter,
  a ramp in spring, flat again in summer (the example "A hard sigmoid is two ReLUs").
  Averaging a week takes out most of the day-to-day weather, so the shape shows.

``seattle_day_of_year.csv`` copies ``temp_max`` unchanged and computes only the day counts.
"""
import csv
import datetime as dt
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "seattle_weather.csv")
WEEKS = 41           # 1 December + 41 weeks: the week that begins on 7 September (6 in a leap year) is the last


def _rows():
    with open(SOURCE, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            yield dt.datetime.strptime(row["date"], "%Y/%m/%d").date(), row["date"], row["temp_max"]


def _write(name: str, header: list[str], rows: list[list]) -> None:
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print("wrote", name, len(rows), "rows")


def main() -> None:
    by_day, weeks = [], {}
    for day, text, temp in _rows():
        by_day.append([text, day.timetuple().tm_yday, temp])
        start = dt.date(day.year if day.month == 12 else day.year - 1, 12, 1)
        week = (day - start).days // 7
        if week < WEEKS:
            weeks.setdefault((start, week), []).append(float(temp))
    season = [[(start + dt.timedelta(days=7 * week)).strftime("%Y/%m/%d"), week, f"{sum(t) / 7:.2f}"]
              for (start, week), t in sorted(weeks.items()) if len(t) == 7]
    _write("seattle_day_of_year.csv", ["date", "day_of_year", "temp_max"], by_day)
    _write("seattle_winter_to_summer.csv", ["week_start", "week", "temp_max"], season)


if __name__ == "__main__":
    main()
