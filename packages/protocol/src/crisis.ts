/**
 * Default crisis resources shown by the "I need help" panel. Bundled into the web client so the
 * panel opens with no network call; an operator can replace the list (CRISIS_RESOURCES_FILE), and
 * the server then sends its list in `welcome`. Numbers checked against the services' own pages;
 * keep the list short, international, and free of tracking links.
 */
export interface CrisisResource {
  region: string;
  name: string;
  contact: string;
  href?: string;
}

export const DEFAULT_CRISIS_RESOURCES: readonly CrisisResource[] = [
  {
    region: "Anywhere",
    name: "If you or someone else is in immediate danger",
    contact:
      "Call your local emergency number (112 in the EU, 911 in North America, 999 in the UK)",
  },
  {
    region: "United States",
    name: "988 Suicide & Crisis Lifeline",
    contact: "Call or text 988",
    href: "tel:988",
  },
  {
    region: "United Kingdom & Ireland",
    name: "Samaritans",
    contact: "Call 116 123 (free, 24/7)",
    href: "tel:116123",
  },
  {
    region: "Canada",
    name: "9-8-8 Suicide Crisis Helpline",
    contact: "Call or text 988",
    href: "tel:988",
  },
  {
    region: "Australia",
    name: "Lifeline",
    contact: "Call 13 11 14",
    href: "tel:131114",
  },
  {
    region: "Elsewhere",
    name: "Find A Helpline — free, confidential helplines in many countries",
    contact: "findahelpline.com",
    href: "https://findahelpline.com",
  },
];
