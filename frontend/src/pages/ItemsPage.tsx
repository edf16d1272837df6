import { useCallback, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { itemsCreateItem, itemsDeleteItem, itemsListItems, itemsUpdateItem, type ItemRead, type ItemsListItemsData } from '../client';
import { describeError } from '../api/errors';
import { useQuery } from '../api/useQuery';
import { TextAreaField, TextField } from '../components/Fields';
import { Pager, SearchForm } from '../components/ListControls';
import { ErrorMessage } from '../components/Messages';
import { NotAllowed } from '../components/NotAllowed';

export const PAGE_SIZE = 10;

type Sort = NonNullable<NonNullable<ItemsListItemsData['query']>['sort']>;
const SORTS: { value: Sort; label: string }[] = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
  { value: 'title', label: 'Title A–Z' },
  { value: '-title', label: 'Title Z–A' },
  { value: '-updated_at', label: 'Recently changed' },
];

/**
 * Your items: the list's search, sort and page live in the URL (shareable, back
 * button). A page is reached by cursor: the URL keeps the `cursor` of every page
 * walked so far, so Previous goes back one and the page number is their count + 1.
 */
export function ItemsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const sort = (SORTS.find((option) => option.value === params.get('sort'))?.value ?? '-created_at') as Sort;
  const trail = params.getAll('cursor');
  const cursor = trail.at(-1);
  const page = trail.length + 1;
  const listItems = useCallback(
    () => itemsListItems({ query: { q: q || undefined, sort, limit: PAGE_SIZE, cursor, count: 'exact' } }),
    [q, sort, cursor],
  );
  const { data: listing, failure, reload: load } = useQuery(listItems);

  function changeParams(changes: Record<string, string | null>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    next.delete('cursor'); // a new search or sort starts at its first page
    setParams(next);
  }

  function changeTrail(cursors: string[]) {
    const next = new URLSearchParams(params);
    next.delete('cursor');
    for (const each of cursors) next.append('cursor', each);
    setParams(next);
  }

  if (failure?.notAllowed) return <NotAllowed />;

  return (
    <section>
      <h1>Items</h1>
      <NewItemForm onCreated={load} />
      <div className="toolbar">
        <SearchForm initial={q} onSearch={(text) => changeParams({ q: text })} />
        <label>
          Sort by
          <select value={sort} onChange={(e) => changeParams({ sort: e.target.value })}>
            {SORTS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorMessage message={failure?.message ?? null} />
      {listing && (
        <>
          {listing.items.length === 0 ? (
            <p>{q ? 'No items match your search.' : 'No items yet.'}</p>
          ) : (
            <ul className="items" aria-label="Items">
              {listing.items.map((item) => (
                <ItemRow key={item.id} item={item} onChanged={load} />
              ))}
            </ul>
          )}
          <Pager
            page={page}
            pageSize={PAGE_SIZE}
            total={listing.total}
            hasNext={listing.next_cursor !== null}
            noun={['item', 'items']}
            onPrevious={() => changeTrail(trail.slice(0, -1))}
            onNext={() => listing.next_cursor && changeTrail([...trail, listing.next_cursor])}
          />
        </>
      )}
    </section>
  );
}

type ItemFieldsProps = {
  title: string;
  description: string;
  setTitle: (title: string) => void;
  setDescription: (description: string) => void;
};

function ItemFields({ title, description, setTitle, setDescription }: ItemFieldsProps) {
  return (
    <>
      <TextField label="Title" required maxLength={255} value={title} onChange={setTitle} />
      <TextAreaField label="Description" value={description} onChange={setDescription} />
    </>
  );
}

function NewItemForm({ onCreated }: { onCreated: () => Promise<void> }) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | null>(null);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const { data, error, response } = await itemsCreateItem({
      body: { title, description: description.trim() || null },
    });
    if (data === undefined) {
      setError(describeError(error, response));
      return;
    }
    setError(null);
    setTitle('');
    setDescription('');
    await onCreated();
  }

  return (
    <form className="new-item" aria-label="New item" onSubmit={handleSubmit}>
      <ItemFields title={title} description={description} setTitle={setTitle} setDescription={setDescription} />
      <ErrorMessage message={error} />
      <button type="submit">Add item</button>
    </form>
  );
}

function ItemRow({ item, onChanged }: { item: ItemRead; onChanged: () => Promise<void> }) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(item.title);
  const [description, setDescription] = useState(item.description ?? '');
  const [error, setError] = useState<string | null>(null);

  async function save(event: FormEvent) {
    event.preventDefault();
    const { data, error, response } = await itemsUpdateItem({
      path: { item_id: item.id },
      body: { title, description: description.trim() || null },
    });
    if (data === undefined) {
      setError(describeError(error, response));
      return;
    }
    setEditing(false);
    setError(null);
    await onChanged();
  }

  async function remove() {
    const { error, response } = await itemsDeleteItem({ path: { item_id: item.id } });
    if (!response?.ok) {
      setError(describeError(error, response));
      return;
    }
    await onChanged();
  }

  if (editing) {
    return (
      <li>
        <form aria-label={`Edit ${item.title}`} onSubmit={save}>
          <ItemFields title={title} description={description} setTitle={setTitle} setDescription={setDescription} />
          <ErrorMessage message={error} />
          <button type="submit">Save</button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      </li>
    );
  }

  return (
    <li aria-label={item.title}>
      <div>
        <strong className="item-title">{item.title}</strong>
        {item.description && <p className="item-description">{item.description}</p>}
      </div>
      <ErrorMessage message={error} />
      <div className="actions">
        <button type="button" onClick={() => setEditing(true)}>
          Edit
        </button>
        <button type="button" onClick={remove}>
          Delete
        </button>
      </div>
    </li>
  );
}
