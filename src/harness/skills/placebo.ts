import { estimateTokens } from '../util/defined.ts'

/**
 * The placebo arm's text: well-formed domain notes of exactly the length of the skills a goal would
 * have been offered, about something the task cannot use (keeping honey bees). A gain of the skills
 * over the placebo is then not "a longer prompt". The notes are written for this purpose: Markdown
 * with headings, lists and a table like a SKILL.md body, no code, and nothing about simulation,
 * signals or neuroscience. Deterministic: the same offered skills always give the same text.
 */

const PLACEBO_NOTES: { name: string; body: string }[] = [
  {
    name: 'hive-inspection',
    body: `# Inspecting a colony

Open a hive on a warm, calm day, ideally late in the morning when the foragers are out. Work from the side
of the hive, never in front of the entrance, and move slowly: sudden movements and knocks alarm the guards.

Routine, frame by frame:
- Light the smoker with dry grass or hessian, and give two gentle puffs at the entrance a minute before
  opening. Cool, white smoke is what you want; hot smoke singes wings.
- Lift the crown board and puff once across the top bars. Remove the first frame from the wall side and
  lean it against the hive so there is room to slide the others apart.
- Hold each frame over the open box, so that a dropped queen falls back inside, and turn it like the page
  of a book to see both faces.
- Look for eggs standing upright in the bottom of the cells: eggs mean a laying queen was present within
  the last three days, even when you do not see her.
- Note the pattern of capped brood. A solid slab is healthy; a pepper-pot pattern with many empty cells
  can mean an ageing queen, disease, or inbreeding.
- Check the stores: a full frame of capped honey in a deep box holds about two and a half kilograms.

What to write down after every visit:

| item | example entry |
|---|---|
| date and weather | 14 May, sunny, light breeze |
| temper | calm on the comb, a few followers |
| queen seen / eggs | not seen / eggs present |
| brood frames | six, solid pattern |
| queen cells | none |
| stores | two frames capped, nectar coming in |
| action | added a super with drawn comb |

Pitfalls:
- Inspecting too often (more than once a week) chills the brood and sets the colony back.
- Crushing bees when replacing frames releases alarm scent; push frames together slowly and let the
  bees move out of the way.
- A colony that is loud and restless after the inspection may have lost its queen during it.`,
  },
  {
    name: 'brood-and-queen',
    body: `# The brood cycle and the queen

A worker develops in twenty-one days: three as an egg, six as an unsealed larva and twelve in a sealed cell.
Drones take twenty-four days and a queen only sixteen. These numbers explain most of what you see on a comb.

Reading the brood:
- Young larvae float in a bed of white brood food; older larvae curl into a C-shape and fill the cell.
- Worker cells are capped with a flat, biscuit-coloured capping; drone cells have domed cappings and
  usually sit at the edges of the frames.
- Several eggs in one cell, laid on the walls rather than the base, point to laying workers: the colony has
  been queenless for weeks, and it will not accept a new queen easily.

Queen cells and what they mean:
- Cups at the bottom edge of a frame are normal; once they hold an egg or a larva, the colony is preparing
  to swarm or to replace its queen.
- Supersedure cells are few (one to three) and built on the face of the comb: the bees are replacing a
  failing queen, and the old and new queens may live side by side for a while.
- Emergency cells are drawn out from ordinary worker cells after a queen is lost.

Marking and clipping:
- A queen marked with a dot of paint is found in half the time. The international colour depends on the
  year: white for years ending in 1 or 6, yellow for 2 or 7, red for 3 or 8, green for 4 or 9, and blue
  for 5 or 0.
- Hold the queen by the thorax only, never by the abdomen, and let the paint dry before releasing her.
- Clipping one wing stops a swarm from leaving with her, but it does not stop the colony from trying.

Introducing a new queen:
- Confirm the colony is queenless, wait a day, then hang the queen in her cage between two brood frames.
- Let the workers release her through the candy plug over three to five days, and do not disturb the hive
  for a week afterwards.`,
  },
  {
    name: 'swarm-season',
    body: `# Swarm season

Swarming is how a colony reproduces: the old queen leaves with roughly half the workers, and a new queen
takes over the original nest. Most swarms leave between late spring and midsummer, on a warm day around
noon, often after a spell of poor weather has kept the bees inside.

Signs that a colony is preparing:
- Queen cells with larvae along the bottom bars.
- The brood nest filled with nectar, so the queen has nowhere to lay.
- Many idle bees hanging in a cluster at the entrance in the afternoon.

Prevention, in order of effort:
- Give space before it is needed: add a super when the bees cover seven or eight frames of the top box.
- Replace old, dark comb each year so the queen has clean cells to lay in.
- Requeen with young queens from calm, non-swarming stock; colonies headed by a queen in her first season
  swarm far less often.

Control once queen cells are found:
- The artificial swarm: move the old hive a metre aside, put a new box with the queen and one frame of
  brood on the old stand, and let the foragers return to it. The parent colony keeps the queen cells and
  raises a new queen, while the flying bees believe they have swarmed.
- Leave one good open queen cell in the parent colony and remove the others a week later, or it may throw
  casts: smaller swarms, each with a virgin queen.

Catching a swarm:
- A clustered swarm is usually gentle: the bees have filled up on honey before leaving and have no nest
  to defend.
- Shake the cluster into a box or skep, leave it in the shade with a small opening, and wait until the
  evening, when the scouts have returned, before moving it.
- Hive it on foundation, and feed sugar syrup for a few days if there is no flow.

A swarm in May is worth a load of hay; a swarm in June, a silver spoon; a swarm in July is not worth a
fly. The old rhyme is about how much time the new colony has to build up before winter.`,
  },
  {
    name: 'honey-harvest',
    body: `# Taking the honey crop

Harvest only capped honey. Bees seal a cell once the nectar has been dried to below about twenty per cent
water; unsealed honey ferments in the jar.

Before the harvest:
- Check the frames with a shake test: hold a frame horizontally over the open hive and give it a sharp
  downward shake. If nectar sprinkles out, it is not ready.
- Put a clearer board under the supers a day or two beforehand. The one-way escape lets bees go down into
  the brood box but not back up, and the supers will be nearly empty of bees.
- Leave the colony enough for itself: in a temperate climate a colony needs eighteen to twenty-five
  kilograms of stores to come through the winter.

Extraction:
- Work in a bee-proof room: the smell of honey brings robbers within minutes.
- Uncap the combs with a warmed knife or an uncapping fork over a tray, and keep the cappings; they drain
  into good honey and give clean wax.
- Spin the frames in the extractor gently at first, turn them, and spin harder, so that heavy combs do not
  break.
- Strain the honey through a coarse and then a fine mesh, and let it settle for two days in a settling tank
  before bottling, so the air bubbles rise.

Storing and labelling:
- Keep honey in clean, dry, airtight jars in a cool place. Most honey crystallises sooner or later; rape
  honey within weeks, heather honey hardly at all.
- Warm crystallised honey gently in a water bath below forty degrees to make it runny again; overheating
  darkens it and spoils the flavour.
- A label normally gives the name of the product, the weight, the name and address of the producer, a
  best-before date and the country of origin.

After the harvest, return the wet supers to the hives in the evening for the bees to clean, and store them
away from wax moth over the winter, stacked and sealed, in a cold shed.`,
  },
  {
    name: 'overwintering-colonies',
    body: `# Bringing colonies through the winter

A colony does not hibernate. The bees form a cluster on the combs and generate warmth by shivering their
flight muscles, keeping the centre of the cluster warm while the outside stays cool. The winter bees that do
this are raised in late summer and live for months instead of weeks.

Preparation in late summer:
- Treat against varroa as soon as the honey is off, so that the winter bees are raised healthy. A colony
  that goes into autumn with a high mite load often dies in midwinter with stores still in the hive.
- Unite weak colonies with strong ones. Two small colonies usually fail; one good one survives.
- Feed thick sugar syrup (two parts sugar to one part water) in September if stores are short, so the bees
  can store and cap it while it is still warm.
- Reduce the entrance against wasps and robbing.

Before the cold sets in:
- Fit a mouse guard over the entrance; mice move into hives in autumn and chew the combs.
- Make sure the hive is ventilated: damp, not cold, kills colonies. Tilt the hive slightly forward so that
  rain runs out of the entrance.
- Strap or weigh down the roof against winter storms.

During the winter:
- Heft the hive from behind every few weeks: lift it slightly to judge its weight. A hive that feels light
  in February needs fondant placed directly over the cluster.
- Do not open the hive in cold weather. Listen instead: a healthy colony gives a steady, quiet hum when you
  put your ear to the side.
- Clear dead bees from the entrance after a cold spell so that the bees can get out on the first warm day.

Spring:
- The first cleansing flights come on a sunny day above about ten degrees.
- The first quick inspection, on a warm day in early spring, should only confirm that there is a laying
  queen and enough food; a full inspection waits until the weather is reliably mild.`,
  },
]

export interface Placebo {
  /** Markdown in the same shape as the skill payload: `## name` sections joined by blank lines. */
  text: string
  /** Estimated tokens (the harness's 4 characters per token, as for skills): equal to the skills'. */
  tokens: number
  /** The skills whose length each section matches, in order. */
  matched: string[]
}

/** `length` characters of the notes, starting at `start` (wrapping round), cut on a word and padded. */
function notesOfLength(start: number, length: number): string {
  let text = ''
  for (let i = start; text.length < length; i++) {
    text += `${text ? '\n\n' : ''}${PLACEBO_NOTES[i % PLACEBO_NOTES.length]!.body}`
  }
  if (text.length === length) return text
  const cut = text.slice(0, Math.max(0, length - 1))
  const word = cut.replace(/\s+\S*$/, '') // never end inside a word
  const ended = word.length > 0 && word.length < length ? `${word}.` : cut.slice(0, length)
  return ended.padEnd(length, ' ')
}

/**
 * Placebo text for the skills a goal would be offered: one section per skill, of the same length in
 * characters as that skill's `## name` heading and body, so the whole payload has the same length
 * (and estimated tokens) as the real one.
 */
export function placeboFor(skills: { name: string; body: string }[]): Placebo {
  const sections = skills.map((skill, index) => {
    const note = PLACEBO_NOTES[index % PLACEBO_NOTES.length]!
    const heading = `## ${note.name}\n`
    const length = `## ${skill.name}\n${skill.body}`.length
    // a skill shorter than the placebo's heading (only in tests) gets words alone, still of its length
    if (length <= heading.length) return notesOfLength(index, length)
    return `${heading}${notesOfLength(index, length - heading.length)}`
  })
  const text = sections.join('\n\n')
  return { text, tokens: estimateTokens(text), matched: skills.map((s) => s.name) }
}
