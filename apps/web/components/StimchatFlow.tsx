"use client";

import type { StateView } from "@duet/protocol";
import { MAX_TOPICS } from "@duet/protocol/constants";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { hasStimchatConsent, rememberStimchatConsent } from "../lib/consent";
import { CHAT_COPY, refusalText, STIMCHAT_COPY } from "../lib/copy";
import { useFocusedHeading } from "../lib/use-focused-heading";
import { ConsentDialog } from "./ConsentDialog";
import { useDuetActions, useDuetState, useWaitingElapsed } from "./DuetProvider";
import { EndedBanner } from "./EndedBanner";
import { ErrorLine } from "./ErrorLine";
import { PassStatus } from "./PassScreens";
import { PresenceLine } from "./PresenceLine";
import { SearchWaiting } from "./SearchWaiting";
import { SpaceFlow, type WaitingView } from "./SpaceFlow";
import { StillWaiting } from "./StillWaiting";

type Consent = "unknown" | "needed" | "declined" | "given";

/**
 * `/stimchat`: the rules and consent dialog on a first visit, then optional topics and
 * "Start chatting"; the "Searching…" screen; and "No one is available right now" when the
 * server's search time ran out.
 */
export function StimchatFlow({
  ended = false,
  topics = null,
}: {
  ended?: boolean;
  /**
   * The topics as the server put them in this page's first HTML (a page fact), or null: drawn
   * until `welcome` says what the space offers, so the topic buttons are there in the first
   * paint and do not push Start down when the connection opens.
   */
  topics?: readonly string[] | null;
}) {
  const router = useRouter();
  const { state, spaces, lastJoin } = useDuetState();
  const [consent, setConsent] = useState<Consent>("unknown");
  // The timed-out IDLE state the person has moved on from ("Change topics").
  const [dismissed, setDismissed] = useState<StateView | null>(null);

  // localStorage exists only in the browser: read it after the first render.
  useEffect(() => {
    setConsent(hasStimchatConsent() ? "given" : "needed");
  }, []);

  return (
    <SpaceFlow
      space="stimchat"
      notOpenTitle={STIMCHAT_COPY.notOpenTitle}
      waiting={(view, stop) => (
        <SearchWaiting
          space="stimchat"
          title={STIMCHAT_COPY.searchingTitle}
          lead={STIMCHAT_COPY.searchingLead}
          elapsedLabel={STIMCHAT_COPY.searchingElapsed}
          stopLabel={STIMCHAT_COPY.stop}
          onStop={stop}
        >
          {lastJoin?.space === "stimchat" && lastJoin.topics?.length ? (
            <>
              <p className="muted">
                {STIMCHAT_COPY.yourTopics(lastJoin.topics)}
                {lastJoin.onlyMyTopics ? (
                  <>
                    <br />
                    {STIMCHAT_COPY.onlyMineOn}
                  </>
                ) : null}
              </p>
              {lastJoin.onlyMyTopics ? null : <AnyoneIsFine view={view} />}
            </>
          ) : null}
        </SearchWaiting>
      )}
      entry={({ summary, focusHeading, ready, markReturned }) => {
        if (
          state?.state === "IDLE" &&
          state.searchTimedOut &&
          lastJoin?.space === "stimchat" &&
          dismissed !== state
        ) {
          return (
            <TimedOut
              onChangeTopics={() => {
                setDismissed(state);
                markReturned();
              }}
            />
          );
        }
        if (consent === "declined") {
          return <Declined onRulesAgain={() => setConsent("needed")} />;
        }
        return (
          <>
            <Entry
              topicsOffered={summary ? (summary.topics ?? []) : (topics ?? [])}
              focusHeading={focusHeading}
              banner={ended}
              disabled={consent !== "given"}
              ready={ready}
            />
            {consent === "needed" ? (
              <ConsentDialog
                onAgree={() => {
                  rememberStimchatConsent();
                  setConsent("given");
                  // The dialog had focus; the screen behind it is the new screen.
                  markReturned();
                }}
                onDecline={() => {
                  // With only this space enabled, home would bring the person straight back here.
                  if (spaces?.length === 1) setConsent("declined");
                  else router.push("/");
                }}
              />
            ) : null}
          </>
        );
      }}
    />
  );
}

/**
 * Under "Searching…" with topics (not "only my topics"): how long the search still waits for
 * someone who shares a topic, counted down from the server's `anyoneInMs`, and "Anyone is fine"
 * to stop waiting for one now (`widen`). The countdown is plain text, not a live region: a screen
 * reader would otherwise read a number every second. Once the search takes anyone it says so.
 */
function AnyoneIsFine({ view }: { view: WaitingView }) {
  const { widen } = useDuetActions();
  const elapsed = useWaitingElapsed();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [focusLine, setFocusLine] = useState(false);
  const lineRef = useRef<HTMLParagraphElement>(null);
  // The view's wait and countdown were both measured when the server sent it.
  const leftMs = view.anyoneInMs === undefined ? 0 : view.waitedMs + view.anyoneInMs - elapsed;
  const open = leftMs <= 0;

  // The button goes away under the pointer (or the keyboard focus): focus the line that replaced it.
  useEffect(() => {
    if (open && focusLine) lineRef.current?.focus();
  }, [open, focusLine]);

  async function anyone() {
    if (pending) return;
    setPending(true);
    setError(null);
    const ack = await widen();
    setPending(false);
    if (ack.ok) setFocusLine(true);
    else setError(refusalText(ack));
  }

  if (open) {
    return (
      <p ref={lineRef} tabIndex={-1} className="muted">
        {STIMCHAT_COPY.anyoneNow}
      </p>
    );
  }
  return (
    <>
      <p className="muted">{STIMCHAT_COPY.sharesTopicFor(Math.max(1, Math.ceil(leftMs / 1000)))}</p>
      <p>
        <button type="button" className="button" onClick={() => void anyone()}>
          {STIMCHAT_COPY.anyoneIsFine}
        </button>
      </p>
      <ErrorLine error={error} />
    </>
  );
}

function Entry({
  topicsOffered,
  focusHeading,
  banner,
  disabled,
  ready,
}: {
  topicsOffered: readonly string[];
  focusHeading: boolean;
  banner: boolean;
  disabled: boolean;
  /** This browser's pass is ready (identity "ok"); until then Start waits. */
  ready: boolean;
}) {
  const { lastJoin } = useDuetState();
  const { join } = useDuetActions();
  const [topics, setTopics] = useState<string[]>(() =>
    lastJoin?.space === "stimchat" ? (lastJoin.topics ?? []) : [],
  );
  const [onlyMine, setOnlyMine] = useState(
    () => lastJoin?.space === "stimchat" && lastJoin.onlyMyTopics === true,
  );
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingRef = useFocusedHeading(focusHeading);

  // Only topics the server still offers count.
  const chosen = topics.filter((topic) => topicsOffered.includes(topic));
  const full = chosen.length >= MAX_TOPICS;
  const onlyMineOn = onlyMine && chosen.length > 0;

  function toggle(topic: string) {
    setTopics((current) => {
      if (current.includes(topic)) return current.filter((t) => t !== topic);
      if (current.filter((t) => topicsOffered.includes(t)).length >= MAX_TOPICS) return current;
      return [...current, topic];
    });
  }

  async function start() {
    if (pending || disabled || !ready) return;
    setPending(true);
    setError(null);
    const ack = await join("stimchat", undefined, chosen, onlyMineOn);
    setPending(false);
    if (!ack.ok) setError(refusalText(ack));
  }

  return (
    <div className="page">
      {banner ? <EndedBanner /> : null}
      <h1 ref={headingRef} tabIndex={-1}>
        {STIMCHAT_COPY.entryTitle}
      </h1>
      <p className="lead">{STIMCHAT_COPY.entryLead}</p>
      <PresenceLine space="stimchat" />
      <StillWaiting here="stimchat" />
      {topicsOffered.length > 0 ? (
        <fieldset className="topics">
          <legend className="topics-legend">{STIMCHAT_COPY.topicsLegend}</legend>
          <p id="topics-hint" className="hint">
            {STIMCHAT_COPY.topicsHint(chosen.length, MAX_TOPICS)}
          </p>
          <ul className="topic-list">
            {topicsOffered.map((topic) => {
              const pressed = chosen.includes(topic);
              return (
                <li key={topic}>
                  <button
                    type="button"
                    className="topic"
                    aria-pressed={pressed}
                    aria-describedby="topics-hint"
                    disabled={!pressed && full}
                    onClick={() => toggle(topic)}
                  >
                    {topic}
                  </button>
                </li>
              );
            })}
          </ul>
          <div className="switch-row">
            <button
              type="button"
              role="switch"
              id="only-my-topics"
              className="switch"
              aria-checked={onlyMineOn}
              aria-describedby="only-my-topics-hint"
              disabled={chosen.length === 0}
              onClick={() => setOnlyMine((on) => !on)}
            >
              <span className="switch-track" aria-hidden="true">
                <span className="switch-thumb" />
              </span>
              <span className="switch-label">{STIMCHAT_COPY.onlyMine}</span>
            </button>
            <p id="only-my-topics-hint" className="hint">
              {chosen.length === 0 ? STIMCHAT_COPY.onlyMineHintOff : STIMCHAT_COPY.onlyMineHintOn}
            </p>
          </div>
        </fieldset>
      ) : null}
      <p>
        <button
          type="button"
          className="button button-primary button-large"
          disabled={pending || !ready}
          onClick={() => void start()}
        >
          {STIMCHAT_COPY.start}
        </button>
      </p>
      <PassStatus />
      <ErrorLine error={error} />
    </div>
  );
}

function TimedOut({ onChangeTopics }: { onChangeTopics: () => void }) {
  const { lastJoin } = useDuetState();
  const { join } = useDuetActions();
  const headingRef = useFocusedHeading();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function tryAgain() {
    if (pending) return;
    setPending(true);
    setError(null);
    const ack = await join("stimchat", undefined, lastJoin?.topics, lastJoin?.onlyMyTopics);
    setPending(false);
    if (!ack.ok) setError(refusalText(ack));
  }

  return (
    <div className="page page-center">
      <h1 ref={headingRef} tabIndex={-1}>
        {STIMCHAT_COPY.timedOutTitle}
      </h1>
      <p className="lead">{STIMCHAT_COPY.timedOutLead}</p>
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          disabled={pending}
          onClick={() => void tryAgain()}
        >
          {STIMCHAT_COPY.tryAgain}
        </button>
        <button type="button" className="button button-secondary" onClick={onChangeTopics}>
          {STIMCHAT_COPY.changeTopics}
        </button>
        <Link href="/" className="button button-secondary">
          {CHAT_COPY.home}
        </Link>
      </div>
      <ErrorLine error={error} />
    </div>
  );
}

/** "Not now" on a server where this is the only space: nowhere else to go, so a calm pause. */
function Declined({ onRulesAgain }: { onRulesAgain: () => void }) {
  const headingRef = useFocusedHeading();
  return (
    <div className="page">
      <h1 ref={headingRef} tabIndex={-1}>
        {STIMCHAT_COPY.entryTitle}
      </h1>
      <p className="lead">{STIMCHAT_COPY.declinedLead}</p>
      <p>
        <button type="button" className="button button-secondary" onClick={onRulesAgain}>
          {STIMCHAT_COPY.rulesAgain}
        </button>
      </p>
    </div>
  );
}
