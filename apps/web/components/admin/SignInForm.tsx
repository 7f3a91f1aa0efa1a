"use client";

import { type FormEvent, useId, useRef, useState } from "react";
import { adminApi, failureText } from "./api";
import { ADMIN_COPY, tooManyAttemptsText } from "./format";

/** The password form. `onSignedIn` runs once the server set the session cookie. */
export function SignInForm({
  notice,
  onSignedIn,
  onDisabled,
}: {
  /** Why the moderator is here again ("You have signed out.", "Your session has ended…"). */
  notice: string | null;
  onSignedIn: () => void;
  onDisabled: () => void;
}) {
  const inputId = useId();
  const errorId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [password, setPassword] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    if (password === "") {
      setError("Enter the admin password.");
      inputRef.current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    const result = await adminApi.login(password);
    setPending(false);
    if (result.ok) {
      setPassword("");
      onSignedIn();
      return;
    }
    if (result.status === 503) {
      onDisabled();
      return;
    }
    if (result.status === 401) setError(ADMIN_COPY.wrongPassword);
    else if (result.status === 429) setError(tooManyAttemptsText(result.retryAfterMs));
    else setError(failureText(result));
    setPassword("");
    inputRef.current?.focus();
  }

  return (
    <div className="admin-signin">
      <p className="lead">{ADMIN_COPY.signInLead}</p>
      <p role="status" className="admin-signin-notice">
        {notice}
      </p>
      <form className="admin-form" onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor={inputId} className="admin-label">
          Password
        </label>
        <div className="admin-form-row">
          <input
            ref={inputRef}
            id={inputId}
            className="admin-input"
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
          />
          <button type="submit" className="button button-primary" disabled={pending}>
            Sign in
          </button>
        </div>
      </form>
      {error ? (
        <p role="alert" id={errorId} className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
